"""Firmware on the emulated boards: outputs equal the simulator's byte for byte, and instruction
counts are exact (validated with a loop of known length)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from mcugen.device.protocol import instructions, pack_inputs
from mcugen.device.runner import open_device
from mcugen.device.verify import random_inputs, verify_on_device
from tests.device.conftest import need_tools, qemu_processes
from tests.oracle import INT8_MODELS, shared_input

pytestmark = [pytest.mark.qemu, pytest.mark.timeout(300)]

EMULATED = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547",
            "lm3s6965evb", "microbit", "netduinoplus2"]
COUNTING = [b for b in EMULATED if b != "netduinoplus2"]   # runs without -icount there


def _verify(firmware_build, rel, board, n=2, extra=(), kernels="portable"):
    need_tools("qemu-system-arm") if board != "host" else None
    graph, fw = firmware_build(rel, board, kernels)
    samples = list(extra) + random_inputs(graph, n, seed=1)
    with open_device(fw) as device:
        result = verify_on_device(device, graph, samples)
    assert result.bit_exact, result.mismatches
    return fw, result


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_every_shared_model_bit_exact_on_default_board(rel, firmware):
    extra = [[shared_input("kws_sample_int8.npy")]] if "kws_ref" in rel else []
    fw, result = _verify(firmware, rel, "mps2-an386", n=2, extra=extra)
    assert len(result.counts) == result.n_inputs and min(result.counts) > 0
    assert 0 < result.stack_bytes < fw.board.stack_bytes


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_every_shared_model_bit_exact_with_mcugen_kernels_on_m4(rel, firmware):
    """mcugen's own kernels (assembly tiles, SXTB16/SMLAD) on the Cortex-M4."""
    extra = [[shared_input("kws_sample_int8.npy")]] if "kws_ref" in rel else []
    fw, _ = _verify(firmware, rel, "mps2-an386", n=2, extra=extra, kernels="mcugen")
    assert "mcugen" in fw.rendered.plan.backends.values()


@pytest.mark.parametrize("board", ["mps2-an500", "mps2-an505", "mps2-an385", "microbit"])
def test_mcugen_kernels_on_m7_m33_and_cores_without_dsp(board, firmware):
    rel = "tflm/micro_speech_int8.tflite" if board == "microbit" else \
        "mlperf_tiny/kws_ref_model.tflite"
    _verify(firmware, rel, board, n=2, kernels="mcugen")


@pytest.mark.parametrize("board", [b for b in EMULATED if b != "microbit"] + ["host"])
def test_kws_on_every_board_that_holds_it(board, firmware):
    _verify(firmware, "mlperf_tiny/kws_ref_model.tflite", board, n=1,
            extra=[[shared_input("kws_sample_int8.npy")]])


@pytest.mark.parametrize("rel", ["tflm/hello_world_int8.tflite", "tflm/micro_speech_int8.tflite"])
def test_small_models_on_microbit(rel, firmware):
    _verify(firmware, rel, "microbit", n=2)


@pytest.mark.parametrize("board", COUNTING)
def test_instruction_count_is_exact_for_a_known_loop(board, loop_firmware):
    """A loop of 2 * N instructions: the difference between two N is counted exactly."""
    need_tools("qemu-system-arm")
    fw = loop_firmware(board)
    with open_device(fw) as device:
        info = device.hello()
        assert info.counter_unit == "instructions"
        counts = {}
        for n in (1000, 101000):
            device.set_inputs(struct.pack("<I", n))
            counts[n] = instructions(device.invoke(), info)
    assert counts[101000] - counts[1000] == 200000


def test_no_qemu_left_running(tmp_path_factory):
    base = str(tmp_path_factory.getbasetemp())
    assert [p for p in qemu_processes() if base in p] == []


def test_outputs_are_the_same_bytes_as_the_input_sample_on_host(firmware):
    """The host board speaks the same protocol over a pseudo-terminal."""
    graph, fw = firmware("tflm/person_detect_int8.tflite", "host")
    image = shared_input("person_96x96_uint8.npy").view(np.int8).reshape(1, 96, 96, 1)
    with open_device(fw) as device:
        device.hello()
        device.set_inputs(pack_inputs([image]))
        out = np.frombuffer(device.invoke().outputs, np.int8)
    assert out.tolist() == [-113, 113]


@pytest.mark.cmsis_nn
@pytest.mark.parametrize("board", ["mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547"])
def test_kws_with_cmsis_nn_on_dsp_and_helium_cores(board, firmware):
    import os
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if not tree:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN tree to run CMSIS-NN on the boards")
    need_tools("qemu-system-arm")
    graph, fw = firmware("mlperf_tiny/kws_ref_model.tflite", board, "cmsis-nn", cmsis_nn=tree)
    samples = [[shared_input("kws_sample_int8.npy")]] + random_inputs(graph, 1, seed=5)
    with open_device(fw) as device:
        result = verify_on_device(device, graph, samples)
    assert result.bit_exact and min(result.counts) > 0
