"""PAD folded into the following conv's padding: the PyTorch MobileNetV2 pattern (PAD (1, 1) then
a stride-2 VALID depthwise conv, which TFLite's SAME cannot express), its arena, and the cases
that must not fold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder
from mcugen.optimize import optimize
from mcugen.plan import plan_memory
from tests.optimize.helpers import add_conv, check_rewrite, outputs, q, sample_inputs
from tests.sim.compare import assert_matches_tflm
from tests.strategies import examples

ZP = -5


def mobilenet_v2_block(h: int = 16, c: int = 8, pad_value=None, pads=((1, 1), (1, 1)),
                       extra_reader: bool = False, seed: int = 0, stride: int = 2,
                       padding: str = "VALID", kernel: int = 3, opcode="DEPTHWISE_CONV_2D"):
    """x -> 1x1 CONV (expand, RELU6) -> PAD -> 3x3 DEPTHWISE (stride 2, VALID, RELU6) -> 1x1 CONV."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder("mbv2_pad")
    x = q(b, "x", (1, h, h, c), zp=ZP, inp=True)
    e = q(b, "expand", (1, h, h, 2 * c), zp=ZP)
    add_conv(b, rng, x, e, 2 * c, 1, 1, c, act="RELU6")
    (pt, pb), (pl, pr) = pads
    ph, pw = h + pt + pb, h + pl + pr
    p = q(b, "padded", (1, ph, pw, 2 * c), zp=ZP)
    paddings = b.const("paddings", np.array([[0, 0], [pt, pb], [pl, pr], [0, 0]], np.int32))
    if pad_value is None:
        b.op("PAD", [e, paddings], [p], "PadOptions")
    else:
        value = b.const("value", np.array([pad_value], np.int8), scale=0.05, zero_point=ZP)
        b.op("PADV2", [e, paddings, value], [p], "PadV2Options")
    if padding == "VALID":
        oh, ow = (ph - kernel) // stride + 1, (pw - kernel) // stride + 1
    else:
        oh, ow = -(-ph // stride), -(-pw // stride)
    d = q(b, "dw", (1, oh, ow, 2 * c), zp=ZP)
    cin = 2 * c
    add_conv(b, rng, p, d, 2 * c, kernel, kernel, cin if opcode == "CONV_2D" else cin,
             opcode=opcode, act="RELU6", stride_h=stride, stride_w=stride, padding=padding)
    y = q(b, "y", (1, oh, ow, c), zp=ZP)
    add_conv(b, rng, d, y, c, 1, 1, 2 * c)
    b.output(y)
    if extra_reader:
        b.output(p)
    return b.build()


def test_mobilenet_v2_pad_folds_into_explicit_padding_and_the_arena_drops():
    graph = mobilenet_v2_block()
    result = check_rewrite(graph, "pad-fold")
    dw = [op for op in result.graph.operators if op.opcode == "DEPTHWISE_CONV_2D"][0]
    # TFLite's SAME for stride 2 on 16 rows pads (0, 1); the fold needs (1, 0)
    assert dw.options["padding"] == "EXPLICIT"
    assert tuple(dw.options["explicit_padding"]) == (1, 0, 1, 0)
    assert dw.source == (1, 2)
    assert len(result.graph.operators) == len(graph.operators) - 1
    for kernels in ("portable", "mcugen"):
        before = plan_memory(graph, kernels=kernels).arena_bytes
        after = plan_memory(result.graph, kernels=kernels).arena_bytes
        assert after < before, (kernels, before, after)


def test_pad_that_equals_same_becomes_same():
    # PAD (0, 1) + VALID stride 2 on 16 rows is exactly SAME
    graph = mobilenet_v2_block(pads=((0, 1), (0, 1)))
    result = check_rewrite(graph, "pad-fold")
    dw = [op for op in result.graph.operators if op.opcode == "DEPTHWISE_CONV_2D"][0]
    assert dw.options["padding"] == "SAME" and "explicit_padding" not in dw.options


@pytest.mark.parametrize("opcode,stride,padding,pads", [
    ("CONV_2D", 1, "VALID", ((1, 2), (2, 1))),
    ("CONV_2D", 2, "SAME", ((1, 0), (0, 1))),
    ("DEPTHWISE_CONV_2D", 1, "SAME", ((1, 1), (0, 0))),
])
def test_pad_folds_into_conv_and_same_padding(opcode, stride, padding, pads):
    graph = mobilenet_v2_block(h=9, pads=pads, stride=stride, padding=padding, opcode=opcode,
                               kernel=5 if opcode == "CONV_2D" else 3)
    check_rewrite(graph, "pad-fold")


@pytest.mark.parametrize("case", ["value", "reader", "too-wide"])
def test_pad_must_not_fold(case):
    if case == "value":      # a pad value that is not the zero point
        graph = mobilenet_v2_block(pad_value=ZP + 1)
    elif case == "reader":   # the padded tensor is also a model output
        graph = mobilenet_v2_block(extra_reader=True)
    else:                    # a window wholly in the padding: never folded
        graph = mobilenet_v2_block(pads=((3, 3), (0, 0)), stride=1)
    result = check_rewrite(graph, "pad-fold", applies=False)
    assert [op.opcode for op in result.graph.operators] == [op.opcode for op in graph.operators]


@st.composite
def pad_fold_case(draw):
    kernel = draw(st.integers(1, 3))
    return dict(h=draw(st.integers(kernel + 2, 9)), c=draw(st.integers(1, 3)),
                pads=((draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                      (draw(st.integers(0, 2)), draw(st.integers(0, 2)))),
                stride=draw(st.integers(1, 2)), padding=draw(st.sampled_from(["VALID", "SAME"])),
                kernel=kernel, opcode=draw(st.sampled_from(["CONV_2D", "DEPTHWISE_CONV_2D"])),
                seed=draw(st.integers(0, 999)))


@examples(25)
@given(pad_fold_case())
def test_pad_fold_on_random_graphs(case):
    """Random pads, strides, kernels and paddings: the rewritten graph's outputs are the
    original's byte for byte; a VALID conv whose pads are all below the kernel always folds."""
    graph = mobilenet_v2_block(**case)
    must = case["padding"] == "VALID" and max(max(p) for p in case["pads"]) < case["kernel"]
    inputs = sample_inputs(graph, 2, case["seed"])
    assert_matches_tflm(graph, inputs)
    result = optimize(graph)
    applied = "pad-fold" in [a.rewrite for a in result.applied]
    assert applied or not must
    assert outputs(result.graph, inputs) == outputs(graph, inputs)
    if applied:
        assert_matches_tflm(result.graph, inputs)


def max_pool_graph(act="RELU", pad_value=None, pads=((1, 1), (1, 1)), stride=2, h=8,
                   opcode="MAX_POOL_2D"):
    """x -> CONV (act) -> PAD -> 3x3 stride-2 VALID MAX_POOL (as PyTorch's MaxPool2d(padding=1))."""
    rng = np.random.default_rng(3)
    b = GraphBuilder("pool_pad")
    x = q(b, "x", (1, h, h, 4), zp=ZP, inp=True)
    c = q(b, "c", (1, h, h, 4), zp=ZP)
    add_conv(b, rng, x, c, 4, 1, 1, 4, act=act)
    (pt, pb), (pl, pr) = pads
    p = q(b, "p", (1, h + pt + pb, h + pl + pr, 4), zp=ZP)
    paddings = b.const("paddings", np.array([[0, 0], [pt, pb], [pl, pr], [0, 0]], np.int32))
    if pad_value is None:
        b.op("PAD", [c, paddings], [p], "PadOptions")
    else:
        value = b.const("value", np.array([pad_value], np.int8), scale=0.05, zero_point=ZP)
        b.op("PADV2", [c, paddings, value], [p], "PadV2Options")
    oh, ow = (h + pt + pb - 3) // stride + 1, (h + pl + pr - 3) // stride + 1
    y = q(b, "y", (1, oh, ow, 4), zp=ZP)
    b.op(opcode, [p], [y], "Pool2DOptions", padding="VALID", stride_h=stride, stride_w=stride,
         filter_height=3, filter_width=3, fused_activation_function="NONE")
    b.output(y)
    return b.build()


@pytest.mark.parametrize("act,pad_value", [("RELU", None), ("RELU6", None), ("NONE", -128)])
def test_pad_folds_into_max_pool_where_the_padding_never_wins(act, pad_value):
    result = check_rewrite(max_pool_graph(act, pad_value), "pad-fold")
    pool = result.graph.operators[-1]
    assert pool.opcode == "MAX_POOL_2D" and pool.options["padding"] == "EXPLICIT"
    assert tuple(pool.options["explicit_padding"]) == (1, 0, 1, 0)


@pytest.mark.parametrize("act,pad_value,opcode", [("NONE", None, "MAX_POOL_2D"),
                                                  ("RELU", ZP + 1, "MAX_POOL_2D"),
                                                  ("RELU", None, "AVERAGE_POOL_2D")])
def test_pad_must_not_fold_into_a_pool(act, pad_value, opcode):
    """No clamp (the zero point could win), a pad value above the clamp, an average pool."""
    check_rewrite(max_pool_graph(act, pad_value, opcode=opcode), "pad-fold", applies=False)
