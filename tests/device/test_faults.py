"""Fault injection: garbage, truncated frames, bad CRC, oversize lengths, a silent device and an
emulator killed mid-run all end in a clean error — no hang, no leaked process."""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib

import pytest

from mcugen.errors import InfrastructureError
from mcugen.device.protocol import HELLO, PROTOCOL_VERSION, Device, encode_frame
from mcugen.device.runner import open_device
from tests.device.conftest import need_tools, qemu_processes

pytestmark = pytest.mark.timeout(120)
MODEL = "tflm/hello_world_int8.tflite"


@pytest.fixture
def host_device(firmware):
    _, fw = firmware(MODEL, "host")
    with open_device(fw, timeout=3) as device:
        device.hello()
        yield device


def test_garbage_before_a_frame_is_skipped(host_device):
    host_device.send_raw(bytes(b for b in range(256) if b != 0xA5) * 4)
    assert host_device.hello().fields["name"] == "hello_world_int8"


def test_bad_crc_is_answered_with_an_error(host_device):
    frame = bytearray(encode_frame(HELLO))
    frame[-1] ^= 0xFF
    host_device.send_raw(bytes(frame))
    with pytest.raises(InfrastructureError, match="bad CRC"):
        host_device.receive(HELLO)
    assert host_device.hello().protocol == PROTOCOL_VERSION          # and the device carries on


def test_oversize_length_is_refused(host_device):
    head = struct.pack("<BBI", HELLO, 0, 0xFFFF)
    host_device.send_raw(b"\xa5\x5a" + head + struct.pack("<I", zlib.crc32(head)))
    with pytest.raises(InfrastructureError, match="bad length"):
        host_device.receive(HELLO)
    host_device.resync()
    assert host_device.hello().protocol == PROTOCOL_VERSION


def test_input_beyond_the_model_is_refused(host_device):
    with pytest.raises(InfrastructureError, match="bad argument"):
        host_device.request(0x02, struct.pack("<I", 1 << 20) + b"\x00")


def test_truncated_frame_times_out_cleanly_and_recovers(host_device):
    head = struct.pack("<BBI", HELLO, 0, 40)
    host_device.send_raw(b"\xa5\x5a" + head + b"\x01\x02\x03")   # 37 bytes never come
    host_device.timeout = 1.0
    started = time.monotonic()
    with pytest.raises(InfrastructureError, match="no answer"):
        host_device.receive(HELLO, timeout=1.0)
    assert time.monotonic() - started < 5
    host_device.resync()
    host_device.timeout = 5.0
    assert host_device.hello().protocol == PROTOCOL_VERSION


def test_device_that_never_answers():
    """A port that accepts bytes and says nothing: a timeout error, not a hang."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    device = Device.open(f"socket://127.0.0.1:{port}", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(InfrastructureError, match="no answer"):
        device.hello()
    assert time.monotonic() - started < 10
    device.close()
    server.close()


def test_unopenable_port():
    with pytest.raises(InfrastructureError, match="cannot open serial port"):
        Device.open("/dev/does-not-exist-mcugen", timeout=1.0)


@pytest.mark.qemu
def test_qemu_killed_mid_run_is_a_clean_error(firmware, tmp_path_factory):
    need_tools("qemu-system-arm")
    graph, fw = firmware("mlperf_tiny/vww_96_int8.tflite", "mps2-an386")
    import numpy as np
    from mcugen.device.protocol import pack_inputs
    with open_device(fw, timeout=5) as device:
        device.hello()
        device.set_inputs(pack_inputs([np.zeros((1, 96, 96, 3), np.int8)]))
        victims = [p.split()[0] for p in qemu_processes() if str(fw.elf) in p]
        assert victims
        threading.Timer(0.2, lambda: [__import__("os").kill(int(v), 9) for v in victims]).start()
        with pytest.raises(InfrastructureError):
            for _ in range(100):          # the kill lands during one of these inferences
                device.invoke(timeout=10)
    assert [p for p in qemu_processes() if str(fw.elf) in p] == []


@pytest.mark.qemu
def test_hardfault_is_reported_with_pc(loop_firmware):
    """A crash in the model reaches the host as 'device crashed: HardFault at pc=...'."""
    need_tools("qemu-system-arm")
    fw = loop_firmware("mps2-an386", "fault_model.c")
    with open_device(fw, timeout=10) as device:
        device.hello()
        device.set_inputs(bytes(4))
        with pytest.raises(InfrastructureError, match=r"device crashed: HardFault at pc=0x"):
            device.invoke(timeout=10)
