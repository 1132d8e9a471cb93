"""Single-operator property tests vs TFLM for the weighted and pooling operators: CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, int8 and float32.

Random shapes, strides, paddings, dilations, depth multipliers, per-channel scales, zero points
and fused activations; every tensor byte-identical to TFLM (float within 1e-3 relative).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder
from tests.sim.single_op import check
from tests.strategies import conv_case, examples, fc_case, pool_case


def conv_graph(c: dict, depthwise: bool, quantized: bool = True):
    rng = np.random.default_rng(c["seed"])
    kh, kw = c["k"]
    opcode = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    wshape = (1, kh, kw, c["c_out"]) if depthwise else (c["c_out"], kh, kw, c["c_in"])
    axis = 3 if depthwise else 0
    b = GraphBuilder(opcode.lower())
    xshape = (c["batch"], *c["hw"], c["c_in"])
    yshape = (c["batch"], *c["out"], c["c_out"])
    if quantized:
        w_scales = (rng.uniform(0.002, 0.05, c["c_out"]) if c["per_channel"]
                    else np.array([rng.uniform(0.002, 0.05)])).astype(np.float32)
        x = b.input("x", xshape, np.int8, scale=c["s_in"], zero_point=c["zp_in"])
        wt = b.const("w", rng.integers(-127, 128, wshape).astype(np.int8), scale=w_scales,
                     zero_point=0, axis=axis)
        bias_scales = (np.float32(c["s_in"]) * w_scales).astype(np.float32)
        bias = b.const("b", rng.integers(-5000, 5000, c["c_out"]).astype(np.int32),
                       scale=bias_scales, zero_point=0) if c["with_bias"] else -1
        y = b.tensor("y", yshape, np.int8, scale=c["s_out"], zero_point=c["zp_out"])
    else:
        x = b.input("x", xshape, np.float32)
        wt = b.const("w", rng.standard_normal(wshape).astype(np.float32))
        bias = b.const("b", rng.standard_normal(c["c_out"]).astype(np.float32)) \
            if c["with_bias"] else -1
        y = b.tensor("y", yshape, np.float32)
    options = dict(padding=c["padding"], stride_h=c["s"][0], stride_w=c["s"][1],
                   dilation_hfactor=c["d"][0], dilation_wfactor=c["d"][1],
                   fused_activation_function=c["act"] if quantized else
                   {"RELU_N1_TO_1": "RELU"}.get(c["act"], c["act"]))
    if depthwise:
        b.op(opcode, [x, wt, bias], [y], "DepthwiseConv2DOptions",
             depth_multiplier=c["multiplier"], **options)
    else:
        b.op(opcode, [x, wt, bias], [y], "Conv2DOptions", **options)
    b.output(y)
    return b.build()


# -- CONV_2D / DEPTHWISE_CONV_2D -----------------------------------------------------------------

@pytest.mark.parametrize("depthwise", [False, True], ids=["CONV_2D", "DEPTHWISE_CONV_2D"])
@given(data=st.data())
def test_conv_int8(depthwise, data):
    c = data.draw(conv_case(depthwise), label="case")
    check(conv_graph(c, depthwise), seed=c["seed"])


@pytest.mark.parametrize("depthwise", [False, True], ids=["CONV_2D", "DEPTHWISE_CONV_2D"])
@examples(20)
@given(data=st.data())
def test_conv_float(depthwise, data):
    c = data.draw(conv_case(depthwise), label="case")
    check(conv_graph(c, depthwise, quantized=False), seed=c["seed"], runs=1)


def test_dilation_is_honoured():
    """A fixed dilated case (the reader's option spelling dilation_hfactor): regression for
    geometry() reading a key the reader never produces, so dilation was silently 1."""
    c = dict(k=(3, 3), s=(1, 1), d=(2, 3), padding="SAME", hw=(9, 10), c_in=2, c_out=3,
             multiplier=1, per_channel=True, out=(9, 10), batch=1, seed=7, s_in=0.05,
             s_out=0.1, zp_in=3, zp_out=-4, act="NONE", with_bias=True)
    check(conv_graph(c, False), seed=7)
    c.update(c_out=4, multiplier=2)
    check(conv_graph(c, True), seed=7)


# -- FULLY_CONNECTED -----------------------------------------------------------------------------

def fc_graph(c: dict, quantized: bool = True):
    rng = np.random.default_rng(c["seed"])
    xshape = (*c["batch_dims"], c["depth"]) if c["batch_dims"] else (1, c["depth"])
    rows = int(np.prod(xshape[:-1]))
    yshape = (*xshape[:-1], c["units"]) if c["keep_num_dims"] else (rows, c["units"])
    b = GraphBuilder("fc")
    if quantized:
        w_scales = (rng.uniform(0.002, 0.05, c["units"]) if c["per_channel"]
                    else np.array([rng.uniform(0.002, 0.05)])).astype(np.float32)
        x = b.input("x", xshape, np.int8, scale=c["s_in"], zero_point=c["zp_in"])
        wt = b.const("w", rng.integers(-127, 128, (c["units"], c["depth"])).astype(np.int8),
                     scale=w_scales, zero_point=0, axis=0)
        bias = b.const("b", rng.integers(-5000, 5000, c["units"]).astype(np.int32),
                       scale=(np.float32(c["s_in"]) * w_scales).astype(np.float32),
                       zero_point=0) if c["with_bias"] else -1
        y = b.tensor("y", yshape, np.int8, scale=c["s_out"], zero_point=c["zp_out"])
        act = c["act"]
    else:
        x = b.input("x", xshape, np.float32)
        wt = b.const("w", rng.standard_normal((c["units"], c["depth"])).astype(np.float32))
        bias = b.const("b", rng.standard_normal(c["units"]).astype(np.float32)) \
            if c["with_bias"] else -1
        y = b.tensor("y", yshape, np.float32)
        act = {"RELU_N1_TO_1": "RELU"}.get(c["act"], c["act"])
    b.op("FULLY_CONNECTED", [x, wt, bias], [y], "FullyConnectedOptions",
         fused_activation_function=act, weights_format=0, keep_num_dims=c["keep_num_dims"],
         asymmetric_quantize_inputs=False)
    b.output(y)
    return b.build()


@given(fc_case())
def test_fully_connected_int8(c):
    check(fc_graph(c), seed=c["seed"])


@examples(20)
@given(fc_case())
def test_fully_connected_float(c):
    check(fc_graph(c, quantized=False), seed=c["seed"], runs=1)


# -- AVERAGE_POOL_2D / MAX_POOL_2D ---------------------------------------------------------------

def pool_graph(opcode: str, c: dict, quantized: bool = True):
    b = GraphBuilder(opcode.lower())
    # TFLM's int8 pools require the input and output quantization to be the same.
    quant = dict(scale=c["q"][0], zero_point=c["q"][1]) if quantized else {}
    dtype = np.int8 if quantized else np.float32
    x = b.input("x", (c["batch"], *c["hw"], c["c"]), dtype, **quant)
    y = b.tensor("y", (c["batch"], *c["out"], c["c"]), dtype, **quant)
    act = c["act"] if quantized else {"RELU_N1_TO_1": "RELU"}.get(c["act"], c["act"])
    b.op(opcode, [x], [y], "Pool2DOptions", padding=c["padding"], stride_h=c["s"][0],
         stride_w=c["s"][1], filter_height=c["f"][0], filter_width=c["f"][1],
         fused_activation_function=act)
    b.output(y)
    return b.build()


@pytest.mark.parametrize("opcode", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@given(c=pool_case())
def test_pool_int8(opcode, c):
    check(pool_graph(opcode, c), seed=c["seed"])


@pytest.mark.parametrize("opcode", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@examples(20)
@given(c=pool_case())
def test_pool_float(opcode, c):
    check(pool_graph(opcode, c, quantized=False), seed=c["seed"], runs=1)
