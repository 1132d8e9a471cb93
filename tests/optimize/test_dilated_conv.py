"""SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND into one dilated conv: random Keras-style
graphs (Conv2D, and Conv1D with its EXPAND_DIMS and RESHAPE), the real mnist1d_tcn model, and
the cases that must not fold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model import load_model
from mcugen.model.builder import GraphBuilder
from mcugen.optimize import optimize
from tests.optimize.helpers import add_conv, check_rewrite, q, sample_inputs
from tests.sim.compare import assert_matches_tflm
from tests.oracle import shared_model
from tests.strategies import examples


def keras_dilated(rank=4, size=(8, 8), c=3, cout=4, block=(2, 2), kernel=(3, 3), pads=None,
                  crops=None, opcode="CONV_2D", zp=0, stride=1, bts_block=None,
                  stb_as_output=False, seed=0, act="NONE"):
    rng = np.random.default_rng(seed)
    b = GraphBuilder("dilated")
    spatial = 2 if rank == 4 else 1
    size, block = size[:spatial], block[:spatial]
    pads = pads or [[0, 0]] * spatial
    crops = crops or [[0, 0]] * spatial
    x = q(b, "x", (1, *size, c), zp=zp, inp=True)
    mid = [(s + p0 + p1) // k for s, (p0, p1), k in zip(size, pads, block)]
    nb = int(np.prod(block))
    s = q(b, "s", (nb, *mid, c), zp=zp)
    b.op("SPACE_TO_BATCH_ND", [x, b.const("block", np.array(block, np.int32)),
                               b.const("pads", np.array(pads, np.int32))], [s],
         "SpaceToBatchNDOptions")
    if rank == 3:
        e = q(b, "e", (nb, 1, mid[0], c), zp=zp)
        b.op("EXPAND_DIMS", [s, b.const("axis", np.array(-3, np.int32))], [e],
             "ExpandDimsOptions")
        kh, kw = 1, kernel[1]
        conv_in, conv_hw = e, (1, mid[0])
    else:
        kh, kw = kernel
        conv_in, conv_hw = s, tuple(mid)
    oh, ow = (conv_hw[0] - kh) // stride + 1, (conv_hw[1] - kw) // stride + 1
    co = q(b, "co", (nb, oh, ow, cout), scale=0.2, zp=-7)
    add_conv(b, rng, conv_in, co, cout, kh, kw, c, opcode=opcode, act=act,
             stride_h=stride, stride_w=stride)
    sub = [oh, ow] if rank == 4 else [ow]
    if rank == 3:
        r = q(b, "r", (nb, ow, cout), scale=0.2, zp=-7)
        b.op("RESHAPE", [co, b.const("shape", np.array([-1, ow, cout], np.int32))], [r],
             "ReshapeOptions", new_shape=[-1, ow, cout])
        bts_in = r
    else:
        bts_in = co
    bb = list(bts_block or block)
    full = [m * k - c0 - c1 for m, k, (c0, c1) in zip(sub, bb, crops)]
    y = q(b, "y", (nb // int(np.prod(bb)), *full, cout), scale=0.2, zp=-7)
    b.op("BATCH_TO_SPACE_ND", [bts_in, b.const("bblock", np.array(bb, np.int32)),
                               b.const("crops", np.array(crops, np.int32))], [y],
         "BatchToSpaceNDOptions")
    b.output(y)
    if stb_as_output:
        b.output(s)
    return b.build()


@st.composite
def dilated_case(draw):
    rank = draw(st.sampled_from([3, 4]))
    block = (draw(st.integers(1, 3)), draw(st.integers(1, 4)))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(b * draw(st.integers(k, k + 2)) for b, k in zip(block, kernel))
    if rank == 3:
        block, size = (block[1], 1), (size[1], 1)
        kernel = (1, kernel[1])
        size = (block[0] * draw(st.integers(kernel[1], kernel[1] + 2)),)
    opcode = draw(st.sampled_from(["CONV_2D", "DEPTHWISE_CONV_2D"]))
    c = draw(st.integers(1, 4))
    return dict(rank=rank, size=size, block=block, kernel=kernel, opcode=opcode, c=c,
                cout=c if opcode == "DEPTHWISE_CONV_2D" else draw(st.integers(1, 5)),
                act=draw(st.sampled_from(["NONE", "RELU"])), seed=draw(st.integers(0, 999)))


@examples(20)
@given(dilated_case())
def test_space_to_batch_conv_batch_to_space_becomes_a_dilated_conv(case):
    """Unpadded space-to-batch (the padded one has no oracle: tested below on the folded
    graph): the original agrees with TFLM, the dilated conv with the original byte for byte."""
    graph = keras_dilated(**case)
    result = check_rewrite(graph, "dilated-conv", seed=case["seed"])
    conv = [op for op in result.graph.operators if op.opcode == case["opcode"]][0]
    assert not any(op.opcode.endswith("_ND") for op in result.graph.operators)
    assert conv.source == (0, 1, 2) if case["rank"] == 4 else (0, 2, 4)


@pytest.mark.parametrize("rank,pads,crops,size", [
    (4, [[2, 2], [2, 2]], [[0, 0], [0, 0]], (8, 8)),     # SAME, dilation 2
    (4, [[2, 3], [1, 2]], [[0, 1], [1, 1]], (7, 7)),     # asymmetric: EXPLICIT
    (3, [[4, 4]], [[0, 0]], (8,)),                      # Conv1D, dilation 4, as in mnist1d_tcn
])
@pytest.mark.parametrize("zp", [0, -128])
def test_padded_space_to_batch_folds_and_the_folded_graph_agrees_with_tflm(rank, pads, crops,
                                                                          size, zp):
    block = (2, 2) if rank == 4 else (4, 1)
    graph = keras_dilated(rank=rank, size=size, block=block, pads=pads, crops=crops, zp=zp)
    result = check_rewrite(graph, "dilated-conv", oracle_original=False)
    conv = [op for op in result.graph.operators if op.opcode == "CONV_2D"][0]
    assert conv.options["padding"] in ("SAME", "EXPLICIT", "VALID")


@pytest.mark.parametrize("case", ["stride", "block", "reader"])
def test_must_not_fold(case):
    kwargs = {"stride": dict(stride=2, size=(12, 12)),
              "block": dict(bts_block=(1, 4), size=(8, 8), block=(2, 2)),
              "reader": dict(stb_as_output=True)}[case]
    graph = keras_dilated(**kwargs)
    result = check_rewrite(graph, "dilated-conv", applies=False)
    assert [op.opcode for op in result.graph.operators] == [op.opcode for op in graph.operators]


def test_mnist1d_tcn_folds_both_dilated_convs():
    graph = load_model(shared_model("real_data/mnist1d_tcn/tf_int8.tflite"))
    result = optimize(graph)
    assert [a.rewrite for a in result.applied] == ["dilated-conv", "dilated-conv"]
    convs = [op for op in result.graph.operators if op.opcode == "CONV_2D"]
    assert [op.options["dilation_wfactor"] for op in convs] == [1, 2, 4]
    assert [op.source for op in convs] == [(1,), (3, 5, 7), (13, 15, 17)]
    assert len(result.graph.operators) == 25
    # the folded graph, written back, runs in TFLM: every tensor equal to the simulator's
    assert_matches_tflm(result.graph, sample_inputs(result.graph, runs=3))


def test_mnist1d_tcn_float_quantizes_within_a_point_of_the_tf_converter():
    """mcugen's quantizer on the float model (dilated convs folded before calibration) keeps
    top-1 on the 1,000 test signals within 1 point of the TF converter's int8 model."""
    from mcugen.quantize import quantize_model
    from mcugen.sim import Simulator
    data = shared_model("real_data/mnist1d_tcn/test.npz").parent
    test = np.load(data / "test.npz")
    x, y = test["x"].astype(np.float32), test["y"]
    calib = np.load(data / "calib.npy").astype(np.float32)
    float_graph = load_model(data / "float.tflite")
    shape = float_graph.tensors[float_graph.inputs[0]].shape
    ours = quantize_model(float_graph, [[c.reshape(shape)] for c in calib]).graph

    def top1(graph) -> float:
        graph = optimize(graph).graph
        t = graph.tensors[graph.inputs[0]]
        s, z = float(t.quant.scale[0]), int(t.quant.zero_point[0])
        q = np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)
        sim = Simulator(graph)
        hits = sum(int(np.argmax(sim.run([q[i].reshape(t.shape)]).outputs[0]) == y[i])
                   for i in range(len(x)))
        return 100.0 * hits / len(x)

    theirs = top1(load_model(data / "tf_int8.tflite"))
    mine = top1(ours)
    assert mine >= theirs - 1.0, (mine, theirs)
