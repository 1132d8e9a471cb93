"""mcugen's serial protocol, host side, over any pyserial URL (``socket://``, ``/dev/ttyACM0``,
``rfc2217://``) or an already open port.

Frame: ``A5 5A | command u8 | sequence u8 | length u32 LE | payload | CRC-32 u32 LE`` (zlib CRC
over command, sequence, length and payload). Responses set bit 7 of the command, echo the request's
sequence number and start with a status byte. Uploads go in chunks, each acknowledged, because a
real UART has a one-byte receive register and no back-pressure.

The link is hardened against what a serial line does: a reply with another sequence number is a
stale one (a duplicate, or the late answer to a command that timed out) and is skipped; a lost,
corrupt or garbled reply (timeout, CRC error, garbage, the device reporting a bad CRC or length) is
a :class:`LinkError`, after which the host drains the line, resynchronises the device's framing
and sends the command once more (an invoke is retried with its inputs uploaded again, since the
inference consumes them). Every wait has a deadline: short commands one of ``link_timeout``
seconds, an invoke ``max(10 × expected, floor)`` from its measured (or, for the first, estimated)
duration. What still fails becomes an :class:`InfrastructureError` that says what happened.

The numbers (sync bytes, command and status codes, version, payload limit) are defined once, in
``templates/firmware/mcugen_protocol.h``, which the firmware compiles with; they are read from it
here.
"""

from __future__ import annotations

import struct
import time
import zlib
from dataclasses import dataclass

import numpy as np
import serial

from ..errors import InfrastructureError
from ..resources import c_constants

PROTOCOL_HEADER = "firmware/mcugen_protocol.h"
_C = c_constants(PROTOCOL_HEADER)

PROTOCOL_VERSION = _C["MCUGEN_PROTOCOL_VERSION"]
SYNC = bytes([_C["MCUGEN_SYNC0"], _C["MCUGEN_SYNC1"]])
RESPONSE = _C["MCUGEN_RESPONSE"]        # bit set in a response's command byte
HELLO, SET_INPUT, INVOKE, READ_TENSOR, RESET, PROFILE, EXIT, FAULT = (
    _C[f"MCUGEN_CMD_{name}"] for name in ("HELLO", "SET_INPUT", "INVOKE", "READ_TENSOR", "RESET",
                                          "PROFILE", "EXIT", "FAULT"))
# what each status code means, by its name in the header
STATUS_TEXT = {"OK": "ok", "BAD_CRC": "bad CRC", "BAD_LENGTH": "bad length",
               "UNKNOWN_COMMAND": "unknown command", "BAD_ARGUMENT": "bad argument",
               "MODEL_ERROR": "model error"}
STATUS = {_C[f"MCUGEN_ST_{name}"]: text for name, text in STATUS_TEXT.items()}
MAX_PAYLOAD = _C["MCUGEN_MAX_PAYLOAD"]  # the device's receive buffer
CHUNK = MAX_PAYLOAD // 2                # upload chunk: well under the receive buffer
MAX_RESPONSE = 1 << 26                  # a longer length field is garbage, not a frame
HEAD = struct.Struct("<BBI")            # command, sequence, length
# element types of model I/O, the ABI's codes (templates/runtime/mcugen_model_api.h)
_ABI = c_constants("runtime/mcugen_model_api.h")
DTYPES = {_ABI[f"MCUGEN_DTYPE_{name.upper()}"]: np.dtype(name)
          for name in ("int8", "uint8", "int16", "int32", "float32")}
# link deadlines (seconds): a short command's answer; an invoke's floor; the first invoke's
# estimate per multiply-accumulate (QEMU -icount on a loaded machine: ~20 M instructions/s, ~40
# instructions per MAC for mcugen's portable kernels, the slowest backend)
LINK_TIMEOUT = 3.0
INVOKE_FLOOR = 5.0
SECONDS_PER_MAC = 40 / 20e6
# filler that completes any request the device may be waiting for (the longest it accepts)
FILLER = bytes(MAX_PAYLOAD + 2 + HEAD.size + 4 + 64)


def encode_frame(command: int, payload: bytes = b"", seq: int = 0) -> bytes:
    head = HEAD.pack(command, seq & 0xFF, len(payload))
    return SYNC + head + payload + struct.pack("<I", zlib.crc32(head + payload))


def encode_v1_frame(command: int) -> bytes:
    """A protocol-1 request (``command u8 | length u16``, no sequence): to recognise an old
    firmware and name its version."""
    head = struct.pack("<BH", command, 0)
    return SYNC + head + struct.pack("<I", zlib.crc32(head))


class LinkError(InfrastructureError):
    """The serial line lost, corrupted or garbled a frame: worth a resynchronisation and a retry
    (unlike the device's own verdicts: bad argument, unknown command, model error, a crash)."""


@dataclass
class DeviceInfo:
    protocol: int
    arena_bytes: int
    input_bytes: int
    output_bytes: int
    ticks_per_instruction: float
    fields: dict[str, str]
    num_layers: int = 0
    profiling: bool = False
    input_dtypes: tuple = ()
    output_dtypes: tuple = ()
    state_bytes: int = 0          # variable tensors the model keeps from one invoke to the next

    @property
    def counter_unit(self) -> str:
        return self.fields.get("counter", "none")

    @property
    def model_hash(self) -> str:
        return self.fields.get("hash", "")

    @property
    def kernels(self) -> str:
        return self.fields.get("kernels", "")


@dataclass
class Profile:
    """Counter stamps of the last invoke, before each layer and after the last one, and the
    cost of one stamp (measured before the invoke, subtracted from each layer)."""

    stamps: list[int]
    stamp_ticks: int

    def layer_ticks(self) -> list[int]:
        return [b - a - self.stamp_ticks for a, b in zip(self.stamps, self.stamps[1:])]


@dataclass
class Inference:
    outputs: bytes
    ticks: int
    overhead_ticks: int
    stack_bytes: int


class Device:
    """A board running mcugen firmware, reached through a serial port."""

    def __init__(self, port: serial.SerialBase, timeout: float = 10.0, what: str = "device",
                 link_timeout: float = LINK_TIMEOUT):
        self.port = port
        self.timeout = timeout
        self.what = what
        self.link_timeout = min(link_timeout, timeout)
        self.seq = 0
        self.invoke_seconds: float | None = None    # wall time of the last invoke
        self.expected_invoke_seconds: float | None = None   # estimate before the first
        self.invoke_floor = INVOKE_FLOOR
        self.retries = 0                            # link errors recovered from
        self.stale = 0                              # stale replies skipped
        self.state_bytes = None                     # the model's state, once hello has told

    @classmethod
    def open(cls, url: str, timeout: float = 10.0, baudrate: int = 115200,
             link_timeout: float = LINK_TIMEOUT) -> "Device":
        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise InfrastructureError(f"cannot open serial port: {exc}", url) from None
        return cls(port, timeout, url, link_timeout)

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:
            pass

    # -- framing ---------------------------------------------------------------------------
    def _read_exact(self, n: int, deadline: float, doing: str, idle: float | None = None
                    ) -> bytes:
        """``n`` bytes before ``deadline``; with ``idle``, the deadline moves on while bytes
        flow (a long response is bounded per chunk, not as a whole)."""
        data = bytearray()
        while len(data) < n:
            if time.monotonic() > deadline:
                raise LinkError(f"no answer from the device in time ({doing}; got {len(data)} "
                                f"of {n} bytes)", self.what)
            try:
                chunk = self.port.read(min(n - len(data), 65536))
            except (serial.SerialException, OSError) as exc:
                raise InfrastructureError(f"serial link lost ({doing}): {exc}",
                                          self.what) from None
            if chunk and idle is not None:
                deadline = max(deadline, time.monotonic() + idle)
            data += chunk
        return bytes(data)

    def request(self, command: int, payload: bytes = b"", timeout: float | None = None,
                retry: bool = True) -> bytes:
        """Send one frame, return the response payload after its status byte. On a link error
        the line is resynchronised and the command sent once more (``retry``: the command is
        idempotent)."""
        try:
            return self._exchange(command, payload, timeout)
        except LinkError:
            if not retry:
                raise
            self.retries += 1
            self.resync()
            return self._exchange(command, payload, timeout)

    def _exchange(self, command: int, payload: bytes, timeout: float | None) -> bytes:
        self.seq = self.seq % 255 + 1      # 1..255; 0 is left to hand-made frames
        self.send_raw(encode_frame(command, payload, self.seq))
        return self.receive(command, timeout, seq=self.seq)

    def send_raw(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise InfrastructureError(f"serial link lost while sending: {exc}",
                                      self.what) from None

    def drain(self, quiet: float = 0.1, limit: float = 2.0) -> None:
        """Drop everything the device sends until the line has been quiet for ``quiet`` s."""
        end = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() < end and time.monotonic() - last < quiet:
            try:
                if self.port.read(4096):
                    last = time.monotonic()
            except (serial.SerialException, OSError) as exc:
                raise InfrastructureError(f"serial link lost: {exc}", self.what) from None

    def resync(self) -> None:
        """Recover from a half-sent frame or a garbled reply: enough filler to complete any
        frame the device may be waiting for (it answers 'bad CRC' or 'bad length' and goes back
        to hunting for the sync bytes), then drop whatever came back."""
        self.send_raw(FILLER)
        self.drain()

    def receive(self, command: int, timeout: float | None = None, seq: int | None = None
                ) -> bytes:
        """Wait for the response to ``command`` (with sequence number ``seq``; any when None),
        skipping stale replies; return its payload after the status byte."""
        wait = timeout or self.link_timeout
        deadline = time.monotonic() + wait
        doing = f"command 0x{command:02x}"
        while True:
            cmd, rseq, body = self._frame(deadline, doing)
            if cmd == (FAULT | RESPONSE) and len(body) >= 17:
                pc, lr, cfsr, hfsr = struct.unpack("<4I", body[1:17])
                raise InfrastructureError(f"device crashed: HardFault at pc=0x{pc:08x} "
                                          f"lr=0x{lr:08x} cfsr=0x{cfsr:08x} hfsr=0x{hfsr:08x}",
                                          self.what)
            if seq is not None and rseq != seq:
                self.stale += 1             # a duplicate, or the late answer to an old request
                continue
            if not body:
                raise LinkError(f"empty response to {doing}", self.what)
            if body[0] in (_C["MCUGEN_ST_BAD_CRC"], _C["MCUGEN_ST_BAD_LENGTH"]):
                # the request was damaged on the way: the line's fault, not the command's
                raise LinkError(f"device refused {doing}: {STATUS[body[0]]}", self.what)
            if cmd != (command | RESPONSE):
                raise LinkError(f"unexpected response 0x{cmd:02x} to {doing}", self.what)
            if body[0] != 0:
                raise InfrastructureError(f"device refused {doing}: "
                                          f"{STATUS.get(body[0], body[0])}", self.what)
            return body[1:]

    def _frame(self, deadline: float, doing: str) -> tuple[int, int, bytes]:
        """The next well-formed frame on the line: command, sequence, payload."""
        skipped = 0
        while True:   # hunt for the sync bytes; anything else on the line is garbage
            b = self._read_exact(1, deadline, doing)
            if b != SYNC[:1]:
                skipped += 1
                if skipped > 4096:
                    raise LinkError(f"garbage on the line: {skipped} bytes without a "
                                    f"frame ({doing})", self.what)
                continue
            b = self._read_exact(1, deadline, doing)
            while b == SYNC[:1]:
                b = self._read_exact(1, deadline, doing)
            if b == SYNC[1:]:
                break
        idle = self.link_timeout
        head = self._read_exact(HEAD.size, deadline, doing, idle)
        cmd, rseq, length = HEAD.unpack(head)
        if length > MAX_RESPONSE:
            raise LinkError(f"corrupt response: length {length:,} ({doing})", self.what)
        body = self._read_exact(length, deadline, doing, idle)
        (crc,) = struct.unpack("<I", self._read_exact(4, deadline, doing, idle))
        if crc != zlib.crc32(head + body):
            raise LinkError(f"corrupt response: CRC mismatch ({doing})", self.what)
        return cmd, rseq, body

    # -- commands --------------------------------------------------------------------------
    def hello(self) -> DeviceInfo:
        """Greet the device, retrying while it boots: bytes sent before its UART is enabled are
        lost (on a freshly reset board, and in some emulated UARTs). A firmware speaking another
        protocol version is refused."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                body = self.request(HELLO, timeout=min(1.0, self.timeout), retry=False)
                break
            except LinkError:
                if time.monotonic() > deadline:
                    old = self._probe_v1()
                    if old is not None:
                        self._refuse_version(old)
                    raise
                self.resync()
                old = self._probe_v1()
                if old is not None:
                    self._refuse_version(old)
        if not body or body[0] != PROTOCOL_VERSION:
            self._refuse_version(body[0] if body else None)
        head = struct.Struct("<BIIIIIIBBB")
        if len(body) < head.size:
            raise LinkError(f"short hello reply ({len(body)} bytes)", self.what)
        version, arena, n_in, n_out, tpi, layers, state, profiling, k_in, k_out = head.unpack(
            body[:head.size])
        at = head.size
        dt_in, dt_out = body[at:at + k_in], body[at + k_in:at + k_in + k_out]
        text = body[at + k_in + k_out:]
        fields = dict(line.split("=", 1) for line in text.decode(errors="replace")
                      .splitlines() if "=" in line)
        self.state_bytes = state
        return DeviceInfo(version, arena, n_in, n_out, tpi / 1000.0, fields, layers,
                          bool(profiling), tuple(DTYPES.get(c, c) for c in dt_in),
                          tuple(DTYPES.get(c, c) for c in dt_out), state)

    def _refuse_version(self, version) -> None:
        raise InfrastructureError(f"the board's firmware speaks mcugen protocol version "
                                  f"{version}, this mcugen speaks {PROTOCOL_VERSION}: rebuild and "
                                  "flash it with this mcugen", self.what)

    def _probe_v1(self) -> int | None:
        """Whether a protocol-1 firmware answers a protocol-1 HELLO: its version, else None."""
        self.send_raw(encode_v1_frame(HELLO))
        deadline = time.monotonic() + 0.3
        buf = bytearray()
        while time.monotonic() < deadline:
            try:
                buf += self.port.read(256)
            except (serial.SerialException, OSError):
                return None
            at = buf.find(SYNC + bytes([HELLO | RESPONSE]))
            if at >= 0 and len(buf) >= at + 5:
                (length,) = struct.unpack("<H", buf[at + 3:at + 5])
                end = at + 5 + length + 4
                if len(buf) >= end:
                    head_body = bytes(buf[at + 2:end - 4])
                    (crc,) = struct.unpack("<I", buf[end - 4:end])
                    if crc == zlib.crc32(head_body) and length >= 2 and head_body[3] == 0:
                        self.drain()
                        return head_body[4]
                    return None
        self.resync()
        return None

    def set_inputs(self, data: bytes) -> None:
        for offset in range(0, len(data), CHUNK):
            self.request(SET_INPUT, struct.pack("<I", offset) + data[offset:offset + CHUNK])

    def invoke_deadline(self) -> float:
        """max(10 × expected, floor): expected is the last invoke's wall time, or before the
        first the caller's estimate (from the model's MACs), or else the flat 120 s."""
        expected = self.invoke_seconds or self.expected_invoke_seconds
        if expected is None:
            return max(self.timeout, 120.0)
        return max(10 * expected, self.invoke_floor)

    def invoke(self, timeout: float | None = None) -> Inference:
        """One inference on the inputs uploaded; not retried here (it consumes its inputs):
        :meth:`run` uploads and invokes as one retried unit."""
        started = time.monotonic()
        body = self.request(INVOKE, timeout=timeout or self.invoke_deadline(), retry=False)
        self.invoke_seconds = time.monotonic() - started
        lo, hi, olo, ohi, stack = struct.unpack("<5I", body[:20])
        return Inference(body[20:], lo | hi << 32, olo | ohi << 32, stack)

    def run(self, data: bytes, timeout: float | None = None) -> Inference:
        """Upload the inputs and invoke, after a reset of the model's state when it has one (or
        before hello has said); on a link error, resynchronise and do it all once more (the reset
        makes the retry safe for a model with state, whose lost invoke may have advanced it)."""
        def once() -> Inference:
            if self.state_bytes is None or self.state_bytes > 0:
                self.reset()
            self.set_inputs(data)
            return self.invoke(timeout)
        try:
            return once()
        except LinkError:
            self.retries += 1
            self.resync()
            return once()

    def run_sequence(self, steps: list[bytes], timeout: float | None = None,
                     attempts: int = 3) -> list[Inference]:
        """Reset the state once and run the steps in order on it (a recurrent model's time
        steps). A link error in the middle cannot be retried in place (the lost invoke may have
        advanced the state): the host resynchronises and replays the whole sequence from a reset,
        up to ``attempts`` times in all."""
        for attempt in range(attempts):
            try:
                self.reset()
                results = []
                for data in steps:
                    self.set_inputs(data)
                    results.append(self.invoke(timeout))
                return results
            except LinkError:
                if attempt == attempts - 1:
                    raise
                self.retries += 1
                self.resync()
        raise AssertionError("unreachable")

    def profile(self) -> Profile:
        body = self.request(PROFILE)
        n, cost = struct.unpack("<IQ", body[:12])
        stamps = list(struct.unpack(f"<{n + 1}Q", body[12:12 + 8 * (n + 1)]))
        return Profile(stamps, cost)

    def read_tensor(self, index: int, nbytes: int) -> bytes:
        out = bytearray()
        for offset in range(0, nbytes, 4096):
            count = min(4096, nbytes - offset)
            out += self.request(READ_TENSOR, struct.pack("<3I", index, offset, count))
        return bytes(out)

    def reset(self) -> None:
        """The model's variable tensors back to their initial values (the inputs zeroed)."""
        self.request(RESET)

    def exit(self) -> None:
        self.request(EXIT, timeout=5.0, retry=False)


def instructions(inference: Inference, info: DeviceInfo) -> int | None:
    """Instructions (QEMU -icount) or cycles (silicon) of one invoke; None without a counter."""
    if info.ticks_per_instruction <= 0:
        return None
    return int(round((inference.ticks - inference.overhead_ticks) / info.ticks_per_instruction))


def pack_inputs(arrays: list[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
