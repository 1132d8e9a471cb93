"""Protocol 2's link guarantees: through a fault-injecting proxy (1 % of the chunks in each
direction corrupted, shortened, duplicated or stalled) no wrong result goes undetected, nothing
hangs, and the command after every fault succeeds; stale replies are skipped; a lost byte is
noticed in seconds; outputs longer than 64 KiB pass; another firmware or protocol version is one
line, exit 3."""

from __future__ import annotations

import socket
import struct
import subprocess
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from mcugen.boards import load_board
from mcugen.device.protocol import (HELLO, INVOKE, PROTOCOL_VERSION, SET_INPUT, DTYPES, Device,
                                    encode_frame)
from mcugen.device.runner import _stop, free_port, qemu_command
from mcugen.device.verify import FirmwareMismatch, check_identity, run_on_device
from mcugen.errors import InfrastructureError
from mcugen.firmware.build import build_firmware
from mcugen.model import load_model
from mcugen.sim import Simulator
from tests.device.conftest import need_tools
from tests.device.faulty_link import FaultyLink

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
HELLO_WORLD = ROOT / "examples" / "hello_world_int8.tflite"


@pytest.fixture(scope="module")
def hello_world():
    return load_model(HELLO_WORLD)


@pytest.fixture(scope="module")
def host_fw(hello_world, tmp_path_factory):
    need_tools("cc")
    return build_firmware(hello_world, load_board("host"), tmp_path_factory.mktemp("hw-host"))


@pytest.fixture(scope="module")
def expected(hello_world):
    """The simulator's output bytes for each of the 256 inputs of hello_world."""
    sim = Simulator(hello_world)
    shape = hello_world.tensors[hello_world.inputs[0]].shape
    return {v: sim.run([np.full(shape, v, np.int8)]).outputs[0].tobytes()
            for v in range(-128, 128)}


class _HostProgram:
    """The host board's native program; its pseudo-terminal's path."""

    def __init__(self, program: Path):
        self.proc = subprocess.Popen([str(program)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.pty = self.proc.stdout.readline().decode().strip()
        assert self.pty.startswith("/dev/"), self.pty

    def close(self):
        _stop(self.proc)


def _round_trips(device, graph, expected, n, seed=0, limit=30.0):
    """n inferences of random inputs through ``device``: (wrong, failures, worst seconds).
    A failure (a detected error) must never be followed by another one."""
    rng = np.random.default_rng(seed)
    shape = graph.tensors[graph.inputs[0]].shape
    wrong, failures, worst, last_failed = 0, 0, 0.0, False
    for k in range(n):
        v = int(rng.integers(-128, 128))
        started = time.monotonic()
        try:
            outputs, _ = run_on_device(device, graph, [np.full(shape, v, np.int8)])
        except InfrastructureError as exc:
            assert not last_failed, f"round trip {k} failed right after a failure: {exc}"
            failures, last_failed = failures + 1, True
            print(f"round trip {k}: {exc}")
        else:
            wrong += outputs[0].tobytes() != expected[v]
            last_failed = False
        worst = max(worst, time.monotonic() - started)
        assert worst < limit, f"round trip {k} took {worst:.1f} s"
    return wrong, failures, worst


def _link(upstream_url, seed, proc=None):
    """The proxy, once the board's serial line accepts a connection."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return FaultyLink(upstream_url, rate=0.01, seed=seed)
        except Exception:
            if time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                raise
            time.sleep(0.05)


def _faulty_run(upstream_url, graph, expected, n, seed, proc=None):
    link = _link(upstream_url, seed, proc)
    device = Device.open(link.url, timeout=10, link_timeout=0.5)
    device.invoke_floor = 2.0
    try:
        link.enabled = False
        device.hello()
        link.enabled = True
        wrong, failures, worst = _round_trips(device, graph, expected, n, seed)
        link.enabled = False
        assert device.hello().protocol == PROTOCOL_VERSION     # the link is still good
    finally:
        device.close()
        link.close()
    return wrong, failures, worst, link.faults, device.retries


def _check_faulty(result, n):
    wrong, failures, worst, faults, retries = result
    print(f"{n} round trips: {sum(faults.values())} faults {dict(faults)}, {retries} retries, "
          f"{failures} detected failures, worst round trip {worst:.2f} s")
    assert wrong == 0
    assert sum(faults.values()) > 0
    assert failures <= max(2, n // 100)     # a fault during the retry of a fault: rare


def test_faulty_link_host(host_fw, hello_world, expected):
    host = _HostProgram(host_fw.elf)
    try:
        _check_faulty(_faulty_run(host.pty, hello_world, expected, 150, seed=1), 150)
    finally:
        host.close()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_faulty_link_host_1000(host_fw, hello_world, expected):
    host = _HostProgram(host_fw.elf)
    try:
        _check_faulty(_faulty_run(host.pty, hello_world, expected, 1000, seed=2), 1000)
    finally:
        host.close()


@pytest.mark.qemu
@pytest.mark.timeout(240)
def test_faulty_link_qemu(hello_world, expected, tmp_path):
    need_tools("qemu-system-arm", "arm-none-eabi-gcc")
    board = load_board("mps2-an386")
    fw = build_firmware(hello_world, board, tmp_path)
    port = free_port()
    proc = subprocess.Popen(qemu_command(board, fw.elf, port), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _check_faulty(_faulty_run(f"socket://127.0.0.1:{port}", hello_world, expected, 40,
                                  seed=3, proc=proc), 40)
    finally:
        _stop(proc)


@pytest.fixture
def host_device(host_fw):
    host = _HostProgram(host_fw.elf)
    device = Device.open(host.pty, timeout=10)
    try:
        device.hello()
        yield device
    finally:
        device.close()
        host.close()


def test_stale_reply_is_skipped(host_device, hello_world, expected):
    """The old failure: after an unanswered command, the next session read its late reply
    ('unexpected response 0x82 to command 0x01')."""
    host_device.send_raw(encode_frame(SET_INPUT, struct.pack("<I", 0) + b"\x05", seq=0))
    time.sleep(0.05)
    info = host_device.hello()                       # the SET_INPUT ack is skipped as stale
    assert info.protocol == PROTOCOL_VERSION and host_device.stale >= 1
    host_device.send_raw(encode_frame(HELLO, seq=0) * 3)   # duplicates
    outputs, _ = run_on_device(host_device, hello_world, [np.full((1, 1), 7, np.int8)])
    assert outputs[0].tobytes() == expected[7]


def test_lost_byte_is_noticed_in_seconds(host_device, hello_world, expected):
    """An invoke frame missing a byte: the device waits for it, the host notices within the
    link timeout, resynchronises, uploads the input again and retries."""
    frame = encode_frame(INVOKE, seq=0)
    host_device.send_raw(frame[:-1])
    started = time.monotonic()
    outputs, _ = run_on_device(host_device, hello_world, [np.full((1, 1), -3, np.int8)])
    assert outputs[0].tobytes() == expected[-3]
    assert time.monotonic() - started < 10 and host_device.retries >= 1


def test_hello_carries_the_io_dtypes(host_device):
    info = host_device.hello()
    assert info.input_dtypes == (np.dtype(np.int8),) and info.output_dtypes == (np.dtype(np.int8),)
    assert info.num_layers == 3 and not info.profiling
    assert sorted(DTYPES.values(), key=str) == sorted(map(np.dtype, ["int8", "uint8", "int16",
                                                                      "int32", "float32"]), key=str)


def test_identity_mismatch_is_one_line_exit_3(host_device, host_fw, hello_world):
    info = host_device.hello()
    check_identity(info, host_fw, hello_world)               # the firmware it built: fine
    info.fields["hash"] = "0" * 64
    with pytest.raises(FirmwareMismatch) as exc:
        check_identity(info, host_fw, hello_world)
    assert exc.value.exit_code == 3 and "\n" not in str(exc.value)
    assert str(exc.value).startswith("the board runs firmware for a different model: expected "
                                     f"hello_world_int8 {hello_world.fingerprint()[:12]}")


def test_cli_refuses_other_firmware_on_port(host_fw, tmp_path):
    """`mcugen run KWS --port P --no-flash` with hello_world's firmware on P: exit 3, one line,
    no verdict."""
    host = _HostProgram(host_fw.elf)
    try:
        x = tmp_path / "x.npy"
        np.save(x, np.zeros((1, 49, 10, 1), np.int8))
        proc = subprocess.run(["python", "-m", "mcugen", "run", str(ROOT / "examples" /
                               "kws_ref_model.tflite"), "--board", "host", "--kernels",
                               "portable", "--input", str(x), "--port", host.pty, "--no-flash"],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
    finally:
        host.close()
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "runs firmware for a different model: expected kws_ref_model" \
        in lines[0] and "got hello_world_int8" in lines[0]


def test_other_protocol_version_is_refused():
    """A protocol-1 firmware (simulated): one line naming both versions."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def old_firmware():
        conn, _ = server.accept()
        conn.settimeout(0.05)
        buf = b""
        request = b"\xa5\x5a" + struct.pack("<BH", HELLO, 0)
        body = struct.pack("<BBIIII", 0, 1, 1000, 1, 1, 0) + b"board=old"
        head = struct.pack("<BH", HELLO | 0x80, len(body))
        reply = b"\xa5\x5a" + head + body + struct.pack("<I", zlib.crc32(head + body))
        while not stop.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            buf += data
            if request in buf:
                buf = buf.split(request, 1)[1]
                conn.sendall(reply)
    threading.Thread(target=old_firmware, daemon=True).start()
    device = Device.open(f"socket://127.0.0.1:{server.getsockname()[1]}", timeout=5)
    try:
        with pytest.raises(InfrastructureError) as exc:
            device.hello()
    finally:
        stop.set()
        device.close()
        server.close()
    assert exc.value.exit_code == 3
    assert f"speaks mcugen protocol version 1, this mcugen speaks {PROTOCOL_VERSION}" \
        in str(exc.value)


def test_outputs_beyond_64_kib(tmp_path):
    """76,800 output bytes: more than a 16-bit length could carry."""
    need_tools("cc")
    from mcugen.model.builder import GraphBuilder
    b = GraphBuilder("wide_relu")
    x = b.input("x", (1, 240, 320, 1), np.int8, scale=0.05, zero_point=-3)
    y = b.tensor("y", (1, 240, 320, 1), np.int8, scale=0.05, zero_point=-3)
    b.op("RELU", [x], [y])
    b.output(y)
    graph = b.build()
    fw = build_firmware(graph, load_board("host"), tmp_path)
    host = _HostProgram(fw.elf)
    device = Device.open(host.pty, timeout=30)
    try:
        device.hello()
        sample = [np.random.default_rng(0).integers(-128, 128, (1, 240, 320, 1), np.int8)]
        outputs, _ = run_on_device(device, graph, sample)
    finally:
        device.close()
        host.close()
    assert outputs[0].nbytes == 76_800
    assert outputs[0].tobytes() == Simulator(graph).run(sample).outputs[0].tobytes()


def test_divergence_is_not_located_on_a_board_mcugen_cannot_flash(host_fw):
    """verify's debug rebuild needs the board flashed: on --port --no-flash it says so."""
    from argparse import Namespace
    from mcugen.cli._deploy import can_flash
    assert can_flash(Namespace(port=None, no_flash=False), host_fw)
    assert not can_flash(Namespace(port="/dev/ttyACM0", no_flash=True), host_fw)
    assert not can_flash(Namespace(port="/dev/ttyACM0", no_flash=False), host_fw)   # no upload
