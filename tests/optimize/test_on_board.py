"""The optimised graphs on the emulated Cortex-M4 (mps2-an386, QEMU -icount): bit-exact with the
simulator, and the MobileNetV2 PAD fold costs fewer instructions and less arena than the PAD."""

from __future__ import annotations

import os

import numpy as np
import pytest

from mcugen.boards import load_board
from mcugen.device.runner import open_device
from mcugen.device.verify import random_inputs, verify_on_device
from mcugen.firmware.build import build_firmware
from mcugen.model import load_model
from mcugen.optimize import optimize
from tests.device.conftest import need_tools
from tests.oracle import shared_model
from tests.optimize.test_pad_fold import max_pool_graph, mobilenet_v2_block

pytestmark = [pytest.mark.qemu, pytest.mark.timeout(300)]


def _run(graph, tmp_path, name, board="mps2-an386", kernels="portable", cmsis_nn=None):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm") if board != "host" else None
    fw = build_firmware(graph, load_board(board), tmp_path / name, kernels=kernels,
                        cmsis_nn=cmsis_nn)
    with open_device(fw) as device:
        result = verify_on_device(device, graph, random_inputs(graph, 3, seed=2))
    assert result.bit_exact, result.mismatches
    return fw.rendered.arena_bytes, (int(np.median(result.counts)) if result.counts else None)


@pytest.mark.parametrize("kernels", [pytest.param("portable", marks=pytest.mark.slow), "mcugen"])
def test_mobilenet_v2_pad_fold_drops_arena_and_instructions(kernels, tmp_path):
    graph = mobilenet_v2_block()
    folded = optimize(graph).graph
    arena_before, count_before = _run(graph, tmp_path, "before", kernels=kernels)
    arena_after, count_after = _run(folded, tmp_path, "after", kernels=kernels)
    assert arena_after < arena_before
    assert count_after < count_before, (count_before, count_after)


@pytest.mark.parametrize("board,kernels", [
    pytest.param("host", "portable", marks=pytest.mark.slow), ("host", "mcugen"),
    ("mps2-an386", "portable"), pytest.param("mps2-an386", "mcugen", marks=pytest.mark.slow)])
def test_mnist1d_tcn_deploys_bit_exact(board, kernels, tmp_path):
    graph = optimize(load_model(shared_model("real_data/mnist1d_tcn/tf_int8.tflite"))).graph
    assert not any(op.opcode.endswith("_ND") for op in graph.operators)
    _run(graph, tmp_path, f"tcn-{board}-{kernels}", board=board, kernels=kernels)


@pytest.mark.cmsis_nn
@pytest.mark.parametrize("board", ["host", "mps2-an386"])
def test_mnist1d_tcn_and_pad_fold_with_cmsis_nn(board, tmp_path):
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if not tree:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN source tree")
    graph = optimize(load_model(shared_model("real_data/mnist1d_tcn/tf_int8.tflite"))).graph
    _run(graph, tmp_path, "tcn", board=board, kernels="cmsis-nn", cmsis_nn=tree)
    block = mobilenet_v2_block()
    before = _run(block, tmp_path, "before", board=board, kernels="cmsis-nn", cmsis_nn=tree)
    after = _run(optimize(block).graph, tmp_path, "after", board=board, kernels="cmsis-nn",
                 cmsis_nn=tree)
    assert after[0] < before[0]
    if board != "host":
        assert after[1] < before[1]


def one_by_n_pad_graph():
    """PAD (2, 0) on the width of a 1xN conv: folds to EXPLICIT (0, 0, 2, 0), which CMSIS-NN's
    1xN kernel on MVE refuses at run time (left != total // 2)."""
    from mcugen.model.builder import GraphBuilder
    from tests.optimize.helpers import add_conv, q
    rng = np.random.default_rng(0)
    b = GraphBuilder("one_by_n")
    x = q(b, "x", (1, 1, 12, 8), zp=-3, inp=True)
    p = q(b, "p", (1, 1, 14, 8), zp=-3)
    b.op("PAD", [x, b.const("pads", np.array([[0, 0], [0, 0], [2, 0], [0, 0]], np.int32))],
         [p], "PadOptions")
    y = q(b, "y", (1, 1, 12, 8), scale=0.1, zp=1)
    add_conv(b, rng, p, y, 8, 1, 3, 8)
    b.output(y)
    return b.build()


def test_explicit_padding_cmsis_nn_cannot_take_goes_to_the_next_backend():
    from mcugen.ops.registry import choose_backend
    graph = optimize(one_by_n_pad_graph()).graph
    conv = graph.operators[0]
    assert conv.options["padding"] == "EXPLICIT"
    assert choose_backend(graph, conv, ("cmsis-nn", "portable")) == "portable"


@pytest.mark.cmsis_nn
@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_explicit_padding_with_cmsis_nn_on_dsp_and_helium(board, tmp_path):
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if not tree:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN source tree")
    for name, graph in (("one_by_n", one_by_n_pad_graph()), ("mbv2", mobilenet_v2_block()),
                        ("max_pool", max_pool_graph())):
        _run(optimize(graph).graph, tmp_path, name, board=board, kernels="cmsis-nn",
             cmsis_nn=tree)


def test_max_pool_with_explicit_padding_on_the_host(tmp_path):
    graph = optimize(max_pool_graph()).graph
    assert graph.operators[-1].options["padding"] == "EXPLICIT"
    _run(graph, tmp_path, "max_pool", board="host")
