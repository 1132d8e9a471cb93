"""mcugen's serial protocol, host side, over any pyserial URL (``socket://``, ``/dev/ttyACM0``,
``rfc2217://``) or an already open port.

Frame: ``A5 5A | command u8 | length u16 LE | payload | CRC-32 u32 LE`` (zlib CRC over command,
length and payload). Responses set bit 7 of the command and start with a status byte. Uploads go in
chunks, each acknowledged, because a real UART has a one-byte receive register and no
back-pressure. Every wait has a deadline; a timeout, a CRC error or garbage becomes an
:class:`InfrastructureError` that says what happened.

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
HELLO, SET_INPUT, INVOKE, READ_TENSOR, RESET, EXIT, FAULT = (
    _C[f"MCUGEN_CMD_{name}"]
    for name in ("HELLO", "SET_INPUT", "INVOKE", "READ_TENSOR", "RESET", "EXIT", "FAULT"))
# what each status code means, by its name in the header
STATUS_TEXT = {"OK": "ok", "BAD_CRC": "bad CRC", "BAD_LENGTH": "bad length",
               "UNKNOWN_COMMAND": "unknown command", "BAD_ARGUMENT": "bad argument",
               "MODEL_ERROR": "model error"}
STATUS = {_C[f"MCUGEN_ST_{name}"]: text for name, text in STATUS_TEXT.items()}
MAX_PAYLOAD = _C["MCUGEN_MAX_PAYLOAD"]  # the device's receive buffer
CHUNK = MAX_PAYLOAD // 2                # upload chunk: well under the receive buffer
MAX_RESPONSE = 0xFFFF


def encode_frame(command: int, payload: bytes = b"") -> bytes:
    head = struct.pack("<BH", command, len(payload))
    return SYNC + head + payload + struct.pack("<I", zlib.crc32(head + payload))


@dataclass
class DeviceInfo:
    protocol: int
    arena_bytes: int
    input_bytes: int
    output_bytes: int
    ticks_per_instruction: float
    fields: dict[str, str]

    @property
    def counter_unit(self) -> str:
        return self.fields.get("counter", "none")


@dataclass
class Inference:
    outputs: bytes
    ticks: int
    overhead_ticks: int
    stack_bytes: int


class Device:
    """A board running mcugen firmware, reached through a serial port."""

    def __init__(self, port: serial.SerialBase, timeout: float = 10.0, what: str = "device"):
        self.port = port
        self.timeout = timeout
        self.what = what

    @classmethod
    def open(cls, url: str, timeout: float = 10.0, baudrate: int = 115200) -> "Device":
        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise InfrastructureError(f"cannot open serial port: {exc}", url) from None
        return cls(port, timeout, url)

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:
            pass

    # -- framing ---------------------------------------------------------------------------
    def _read_exact(self, n: int, deadline: float, doing: str) -> bytes:
        data = bytearray()
        while len(data) < n:
            if time.monotonic() > deadline:
                raise InfrastructureError(f"no answer from the device within {self.timeout:g} s "
                                          f"({doing}; got {len(data)} of {n} bytes)", self.what)
            try:
                chunk = self.port.read(n - len(data))
            except (serial.SerialException, OSError) as exc:
                raise InfrastructureError(f"serial link lost ({doing}): {exc}",
                                          self.what) from None
            data += chunk
        return bytes(data)

    def request(self, command: int, payload: bytes = b"", timeout: float | None = None
                ) -> bytes:
        """Send one frame, return the response payload after its status byte."""
        self.send_raw(encode_frame(command, payload))
        return self.receive(command, timeout)

    def send_raw(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise InfrastructureError(f"serial link lost while sending: {exc}",
                                      self.what) from None

    def resync(self) -> None:
        """Recover from a half-sent frame: enough filler to complete any frame the device may
        be waiting for (it answers 'bad CRC'), then drop whatever came back."""
        self.send_raw(bytes(600))
        time.sleep(0.3)
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError):
            pass

    def receive(self, command: int, timeout: float | None = None) -> bytes:
        """Wait for the response to ``command``; return its payload after the status byte."""
        deadline = time.monotonic() + (timeout or self.timeout)
        doing = f"command 0x{command:02x}"
        skipped = 0
        while True:   # hunt for the sync bytes; anything else on the line is garbage
            b = self._read_exact(1, deadline, doing)
            if b != SYNC[:1]:
                skipped += 1
                if skipped > 4096:
                    raise InfrastructureError(f"garbage on the line: {skipped} bytes without a "
                                              f"frame ({doing})", self.what)
                continue
            if self._read_exact(1, deadline, doing) == SYNC[1:]:
                break
        head = self._read_exact(3, deadline, doing)
        cmd, length = struct.unpack("<BH", head)
        body = self._read_exact(length, deadline, doing)
        (crc,) = struct.unpack("<I", self._read_exact(4, deadline, doing))
        if crc != zlib.crc32(head + body):
            raise InfrastructureError(f"corrupt response: CRC mismatch ({doing})", self.what)
        if cmd == (FAULT | RESPONSE):
            pc, lr, cfsr, hfsr = struct.unpack("<4I", body[1:17])
            raise InfrastructureError(f"device crashed: HardFault at pc=0x{pc:08x} "
                                      f"lr=0x{lr:08x} cfsr=0x{cfsr:08x} hfsr=0x{hfsr:08x}",
                                      self.what)
        if cmd != (command | RESPONSE) or not body:
            raise InfrastructureError(f"unexpected response 0x{cmd:02x} to {doing}", self.what)
        if body[0] != 0:
            raise InfrastructureError(f"device refused {doing}: "
                                      f"{STATUS.get(body[0], body[0])}", self.what)
        return body[1:]

    # -- commands --------------------------------------------------------------------------
    def hello(self) -> DeviceInfo:
        """Greet the device, retrying while it boots: bytes sent before its UART is enabled are
        lost (on a freshly reset board, and in some emulated UARTs)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                body = self.request(HELLO, timeout=min(1.0, self.timeout))
                break
            except InfrastructureError as exc:
                if "no answer" not in str(exc) or time.monotonic() > deadline:
                    raise
                self.resync()
        version, arena, n_in, n_out, tpi = struct.unpack("<BIIII", body[:17])
        fields = dict(line.split("=", 1) for line in body[17:].decode(errors="replace")
                      .splitlines() if "=" in line)
        return DeviceInfo(version, arena, n_in, n_out, tpi / 1000.0, fields)

    def set_inputs(self, data: bytes) -> None:
        for offset in range(0, len(data), CHUNK):
            self.request(SET_INPUT, struct.pack("<I", offset) + data[offset:offset + CHUNK])

    def invoke(self, timeout: float | None = None) -> Inference:
        body = self.request(INVOKE, timeout=timeout or max(self.timeout, 120.0))
        lo, hi, olo, ohi, stack = struct.unpack("<5I", body[:20])
        return Inference(body[20:], lo | hi << 32, olo | ohi << 32, stack)

    def read_tensor(self, index: int, nbytes: int) -> bytes:
        out = bytearray()
        for offset in range(0, nbytes, 4096):
            count = min(4096, nbytes - offset)
            out += self.request(READ_TENSOR, struct.pack("<3I", index, offset, count))
        return bytes(out)

    def reset(self) -> None:
        self.request(RESET)

    def exit(self) -> None:
        self.request(EXIT, timeout=5.0)


def instructions(inference: Inference, info: DeviceInfo) -> int | None:
    """Instructions (QEMU -icount) or cycles (silicon) of one invoke; None without a counter."""
    if info.ticks_per_instruction <= 0:
        return None
    return int(round((inference.ticks - inference.overhead_ticks) / info.ticks_per_instruction))


def pack_inputs(arrays: list[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
