"""State across invokes over the serial protocol, with a stand-in model whose 4-byte state resets
to 7 and advances as state = state * 31 + input (tests/device/fixtures/state_model.c): hello
reports the state's size; the firmware resets at start-up; `Device.run` starts every input from a
reset; `Device.run_sequence` runs steps in order on one state, and through a faulty link replays
the whole sequence from a reset rather than retry an invoke that may have advanced the state."""

from __future__ import annotations

import struct
from types import SimpleNamespace

import pytest

from mcugen.boards import load_board
from mcugen.device.protocol import Device
from mcugen.device.runner import host_device
from mcugen.errors import InfrastructureError
from mcugen.firmware.build import build_harness
from mcugen.resources import templates_dir
from tests.device.conftest import FIXTURES, need_tools
from tests.device.faulty_link import FaultyLink
from tests.device.test_link import _HostProgram

pytestmark = pytest.mark.timeout(300)
RESET_VALUE = 7
SEQUENCES = 40


def _step(state: int, x: int) -> int:
    return (state * 31 + x) & 0xFFFFFFFF


def _chain(xs: list[int]) -> list[int]:
    out, state = [], RESET_VALUE
    for x in xs:
        state = _step(state, x)
        out.append(state)
    return out


@pytest.fixture(scope="module")
def state_fw(tmp_path_factory):
    need_tools("cc")
    stand_in = SimpleNamespace(
        name="state", kernels="test", sources=[FIXTURES / "state_model.c"], library_sources=[],
        include_dirs=[templates_dir() / "runtime", FIXTURES], inputs=[(4, "int8")],
        outputs=[(4, "int8")])
    return build_harness(load_board("host"), tmp_path_factory.mktemp("state-host"), stand_in)


def _word(inference) -> int:
    return struct.unpack("<I", inference.outputs[:4])[0]


def test_state_survives_invokes_and_resets(state_fw):
    with host_device(state_fw.elf) as device:
        # the firmware reset the state at start-up: the first invoke starts from 7, not .bss's 0
        device.set_inputs(struct.pack("<I", 5))
        assert _word(device.invoke()) == _step(RESET_VALUE, 5)
        assert device.hello().state_bytes == 4
        # every run() starts from a reset: the same input gives the same output
        assert [_word(device.run(struct.pack("<I", 9))) for _ in range(3)] == [_step(7, 9)] * 3
        xs = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        got = [_word(r) for r in device.run_sequence([struct.pack("<I", x) for x in xs])]
        assert got == _chain(xs)
        # and a sequence after another starts from a reset too
        got = [_word(r) for r in device.run_sequence([struct.pack("<I", x) for x in xs[:4]])]
        assert got == _chain(xs[:4])


def test_sequences_through_a_faulty_link(state_fw):
    """1 % of the chunks corrupted, shortened, duplicated or stalled: a sequence either comes back
    right (replayed whole from a reset after a fault, up to 3 attempts) or fails as a detected
    error; the next sequence after a failure succeeds. Without the firmware dropping a
    duplicated request, a duplicated invoke advanced the state twice: 2 wrong sequences of 60."""
    program = _HostProgram(state_fw.elf)
    link = FaultyLink(program.pty, rate=0.01, seed=3)
    device = Device.open(link.url, timeout=10, link_timeout=0.5)
    device.invoke_floor = 2.0
    wrong = failures = 0
    last_failed = False
    try:
        link.enabled = False
        device.hello()
        link.enabled = True
        for k in range(SEQUENCES):
            xs = [(k * 7 + j * 13) & 0xFFFF for j in range(5)]
            try:
                got = [_word(r) for r in device.run_sequence([struct.pack("<I", x)
                                                              for x in xs])]
            except InfrastructureError:
                assert not last_failed, f"sequence {k} failed right after a failure"
                failures, last_failed = failures + 1, True
                continue
            last_failed = False
            wrong += got != _chain(xs)
        link.enabled = False
        assert device.hello().state_bytes == 4
    finally:
        device.close()
        link.close()
        program.close()
    print(f"{SEQUENCES} sequences of 5 steps: {sum(link.faults.values())} faults {dict(link.faults)}, "
          f"{device.retries} replays, {failures} detected failures")
    assert wrong == 0
    assert sum(link.faults.values()) > 0
    assert failures <= SEQUENCES // 10   # a fault in each of the 3 attempts: rare
