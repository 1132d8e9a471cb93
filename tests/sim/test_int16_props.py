"""16x8 single-operator property tests vs TFLM: int16 activations (zero point 0), int8 weights,
int64 or int32 bias, every tensor byte-identical.

Cases the pinned TFLM cannot judge are never generated: a DEPTHWISE_CONV_2D always has a bias
(without one TFLM segfaults) and it is int64 (with an int32 bias TFLM computes garbage; mcugen
refuses that case, see test_depthwise_int32_bias_is_refused)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.errors import UnsupportedOperatorError
from mcugen.model.builder import GraphBuilder
from mcugen.sim import Simulator
from tests.ops.models import single_op
from tests.sim.single_op import check, unary_graph
from tests.strategies import conv_case, examples, fc_case, pool_case, pow2_scales

INT32_CODE = 2                       # TensorType INT32: quantized_bias_type of a bias-less layer
int16_scales = pow2_scales(-16.0, -6.0)
bias_kinds = st.sampled_from(["int64", "int32", "none", "none-int32"])


def _bias(b, rng, kind: str, channels: int, scales) -> tuple[int, dict]:
    """(bias tensor or -1, extra options) for a bias of ``kind``."""
    if kind.startswith("none"):
        return -1, ({"quantized_bias_type": INT32_CODE} if kind == "none-int32" else {})
    dtype, span = (np.int64, 1 << 22) if kind == "int64" else (np.int32, 1 << 18)
    return b.const("b", rng.integers(-span, span, channels).astype(dtype), scale=scales,
                   zero_point=0), {}


def conv16_graph(c: dict, depthwise: bool, bias_kind: str):
    rng = np.random.default_rng(c["seed"])
    kh, kw = c["k"]
    opcode = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    wshape = (1, kh, kw, c["c_out"]) if depthwise else (c["c_out"], kh, kw, c["c_in"])
    b = GraphBuilder(opcode.lower() + "_16x8")
    w_scales = (rng.uniform(0.002, 0.05, c["c_out"]) if c["per_channel"]
                else np.array([rng.uniform(0.002, 0.05)])).astype(np.float32)
    x = b.input("x", (c["batch"], *c["hw"], c["c_in"]), np.int16, scale=c["s_in"], zero_point=0)
    wt = b.const("w", rng.integers(-127, 128, wshape).astype(np.int8), scale=w_scales,
                 zero_point=0, axis=3 if depthwise else 0)
    bias, extra = _bias(b, rng, bias_kind, c["c_out"],
                        (np.float32(c["s_in"]) * w_scales).astype(np.float32))
    y = b.tensor("y", (c["batch"], *c["out"], c["c_out"]), np.int16, scale=c["s_out"],
                 zero_point=0)
    options = dict(padding=c["padding"], stride_h=c["s"][0], stride_w=c["s"][1],
                   dilation_hfactor=c["d"][0], dilation_wfactor=c["d"][1],
                   fused_activation_function=c["act"])
    if depthwise:
        b.op(opcode, [x, wt, bias], [y], "DepthwiseConv2DOptions",
             depth_multiplier=c["multiplier"], **options)
    else:
        b.op(opcode, [x, wt, bias], [y], "Conv2DOptions", **options, **extra)
    b.output(y)
    return b.build()


@given(data=st.data())
def test_conv_16x8(data):
    c = data.draw(conv_case(False), label="case")
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    check(conv16_graph(c, False, data.draw(bias_kinds, label="bias")), seed=c["seed"])


@given(data=st.data())
def test_depthwise_conv_16x8(data):
    c = data.draw(conv_case(True), label="case")
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    check(conv16_graph(c, True, "int64"), seed=c["seed"])


def test_conv_int32_and_int64_bias_round_differently():
    """The same layer with its bias as int32 and as int64: TFLM's two accumulators round
    differently, and the simulator follows each (both checked against TFLM)."""
    c = dict(k=(3, 3), s=(1, 1), d=(1, 1), padding="SAME", hw=(6, 6), c_in=8, c_out=8,
             multiplier=1, per_channel=True, out=(6, 6), batch=1, seed=11, s_in=2.0 ** -12,
             s_out=2.0 ** -11, act="NONE")
    outs = []
    for kind in ("int32", "int64"):
        graph = conv16_graph(c, False, kind)
        x = np.random.default_rng(1).integers(-32768, 32768, (1, 6, 6, 8)).astype(np.int16)
        check(graph, extra_inputs=[[x]])
        outs.append(Simulator(graph).run([x]).outputs[0])
    assert not np.array_equal(outs[0], outs[1])


def test_depthwise_int32_bias_is_refused():
    c = dict(k=(3, 3), s=(1, 1), d=(1, 1), padding="SAME", hw=(5, 5), c_in=3, c_out=3,
             multiplier=1, per_channel=True, out=(5, 5), batch=1, seed=5, s_in=2.0 ** -12,
             s_out=2.0 ** -11, act="NONE")
    with pytest.raises(UnsupportedOperatorError,
                       match=r"DEPTHWISE_CONV_2D \(int16 with int32 bias\) at index 0"):
        Simulator(conv16_graph(c, True, "int32")).run([np.zeros((1, 5, 5, 3), np.int16)])


def fc16_graph(c: dict, bias_kind: str):
    rng = np.random.default_rng(c["seed"])
    xshape = (*c["batch_dims"], c["depth"]) if c["batch_dims"] else (1, c["depth"])
    rows = int(np.prod(xshape[:-1]))
    yshape = (*xshape[:-1], c["units"]) if c["keep_num_dims"] else (rows, c["units"])
    b = GraphBuilder("fc_16x8")
    w_scales = (rng.uniform(0.002, 0.05, c["units"]) if c["per_channel"]
                else np.array([rng.uniform(0.002, 0.05)])).astype(np.float32)
    x = b.input("x", xshape, np.int16, scale=c["s_in"], zero_point=0)
    wt = b.const("w", rng.integers(-127, 128, (c["units"], c["depth"])).astype(np.int8),
                 scale=w_scales, zero_point=0, axis=0)
    bias, extra = _bias(b, rng, bias_kind, c["units"],
                        (np.float32(c["s_in"]) * w_scales).astype(np.float32))
    y = b.tensor("y", yshape, np.int16, scale=c["s_out"], zero_point=0)
    b.op("FULLY_CONNECTED", [x, wt, bias], [y], "FullyConnectedOptions",
         fused_activation_function=c["act"], weights_format=0, keep_num_dims=c["keep_num_dims"],
         asymmetric_quantize_inputs=False, **extra)
    b.output(y)
    return b.build()


@given(data=st.data())
def test_fully_connected_16x8(data):
    c = data.draw(fc_case(), label="case")
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    check(fc16_graph(c, data.draw(bias_kinds, label="bias")), seed=c["seed"])


@pytest.mark.parametrize("opcode", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@examples(20)
@given(data=st.data())
def test_pool_int16(opcode, data):
    c = data.draw(pool_case(), label="case")
    scale = data.draw(int16_scales)
    b = GraphBuilder(opcode.lower() + "_int16")
    x = b.input("x", (c["batch"], *c["hw"], c["c"]), np.int16, scale=scale, zero_point=0)
    y = b.tensor("y", (c["batch"], *c["out"], c["c"]), np.int16, scale=scale, zero_point=0)
    b.op(opcode, [x], [y], "Pool2DOptions", padding=c["padding"], stride_h=c["s"][0],
         stride_w=c["s"][1], filter_height=c["f"][0], filter_width=c["f"][1],
         fused_activation_function=c["act"])
    b.output(y)
    check(b.build(), seed=c["seed"])


@given(shape=st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
       scale=pow2_scales(-14.0, -4.0), beta=st.sampled_from([1.0, 0.5, 2.0, 0.1]))
def test_softmax_int16(shape, scale, beta):
    graph = unary_graph("SOFTMAX", shape, np.int16, np.int16, (scale, 0), (1.0 / 32768, 0),
                        "SoftmaxOptions", beta=beta)
    flat = int(np.prod(shape))
    extremes = [[np.full(shape, 17, np.int16)],
                [np.where(np.arange(flat) % shape[-1] == 0, 32767, -32768).astype(np.int16)
                 .reshape(shape)]]
    check(graph, extra_inputs=extremes)


@pytest.mark.parametrize("pair", [(np.int16, np.int16), (np.int16, np.int8), (np.int8, np.int16),
                                  (np.int16, np.int32), (np.int32, np.int16)],
                         ids=lambda p: f"{np.dtype(p[0]).name}-{np.dtype(p[1]).name}")
@examples(20)
@given(data=st.data())
def test_requantize_int16(pair, data):
    src, dst = pair
    zp = lambda d: data.draw(st.integers(-128, 127)) if d == np.int8 else 0   # noqa: E731
    s = pow2_scales(-14.0, 0.0)
    graph = unary_graph("QUANTIZE", (64,), src, dst, (data.draw(s), zp(src)),
                        (data.draw(s), zp(dst)), version=2)
    check(graph, runs=3)


@examples(20)
@given(scale=pow2_scales(-14.0, -2.0), spread=st.floats(-3, 18))
def test_quantize_float_to_int16_and_back(scale, spread):
    x = (np.random.default_rng(0).standard_normal(64) * scale * 2.0 ** spread).astype(np.float32)
    check(unary_graph("QUANTIZE", (64,), np.float32, np.int16, None, (scale, 0), version=2),
          extra_inputs=[[x]])
    check(unary_graph("DEQUANTIZE", (64,), np.int16, np.float32, (scale, 0), None, version=2))


@pytest.mark.parametrize("opcode", ["RESHAPE", "SQUEEZE", "EXPAND_DIMS"])
def test_reshape_family_int16(opcode):
    check(single_op(opcode, dtype=np.int16))


def test_conv_activation_ranges_int16():
    """Fused RELU / RELU6 / RELU_N1_TO_1 clamp in the int16 output domain."""
    for act in ("RELU", "RELU6", "RELU_N1_TO_1"):
        c = dict(k=(1, 1), s=(1, 1), d=(1, 1), padding="VALID", hw=(4, 4), c_in=3, c_out=2,
                 multiplier=1, per_channel=False, out=(4, 4), batch=1, seed=3,
                 s_in=2.0 ** -10, s_out=2.0 ** -12, act=act)
        check(conv16_graph(c, False, "int64"))



def test_other_wide_quantize_pairs_are_refused():
    graph = unary_graph("QUANTIZE", (8,), np.int8, np.int32, (0.1, 0), (0.01, 0), version=2)
    with pytest.raises(UnsupportedOperatorError, match=r"QUANTIZE \(int8 -> int32\) at index 0"):
        Simulator(graph).run([np.zeros(8, np.int8)])


# -- TRANSPOSE_CONV (int8 and 16x8) ----------------------------------------------------------------
def _deconv_out(padding: str, size: int, k: int, s: int) -> int:
    return size * s if padding == "SAME" else (size - 1) * s + k


def transpose_conv_graph(c: dict, dtype, bias_kind: str, shape_input: bool = False):
    rng = np.random.default_rng(c["seed"])
    kh, kw = c["k"]
    n, (hi, wi), ci, co = c["batch"], c["hw"], c["c_in"], c["c_out"]
    ho, wo = (_deconv_out(c["padding"], hi, kh, c["s"][0]),
              _deconv_out(c["padding"], wi, kw, c["s"][1]))
    wide = np.dtype(dtype) == np.int16
    zp = (lambda k: 0) if wide else (lambda k: c[k])
    b = GraphBuilder(f"transpose_conv_{np.dtype(dtype).name}")
    out_shape = np.array([n, ho, wo, co], np.int32)
    shape = b.input("output_shape", (4,), np.int32) if shape_input else \
        b.const("output_shape", out_shape)
    w_scales = rng.uniform(0.002, 0.05, co).astype(np.float32) if c["per_channel"] else \
        np.array([rng.uniform(0.002, 0.05)], np.float32)
    wt = b.const("w", rng.integers(-127, 128, (co, kh, kw, ci)).astype(np.int8), scale=w_scales,
                 zero_point=0, axis=0)
    x = b.input("x", (n, hi, wi, ci), dtype, scale=c["s_in"], zero_point=zp("zp_in"))
    inputs = [shape, wt, x]
    if bias_kind != "none":
        bdtype = {"int64": np.int64, "int32": np.int32, "int16": np.int16}[bias_kind]
        span = {"int64": 1 << 22, "int32": 5000 if not wide else 1 << 18, "int16": 30000}[bias_kind]
        inputs.append(b.const("b", rng.integers(-span, span, co).astype(bdtype),
                              scale=(np.float32(c["s_in"]) * w_scales).astype(np.float32),
                              zero_point=0))
    y = b.tensor("y", (n, ho, wo, co), dtype, scale=c["s_out"], zero_point=zp("zp_out"))
    b.op("TRANSPOSE_CONV", inputs, [y], "TransposeConvOptions", padding=c["padding"],
         stride_h=c["s"][0], stride_w=c["s"][1], fused_activation_function=c["act"])
    b.output(y)
    return b.build()


def _deconv_case(data):
    c = data.draw(conv_case(False), label="case")
    c["hw"] = (min(c["hw"][0], 6), min(c["hw"][1], 6))
    return c


@given(data=st.data())
def test_transpose_conv_int8(data):
    c = _deconv_case(data)
    check(transpose_conv_graph(c, np.int8, data.draw(st.sampled_from(["int32", "none"]))),
          seed=c["seed"])


@given(data=st.data())
def test_transpose_conv_16x8(data):
    c = _deconv_case(data)
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    check(transpose_conv_graph(c, np.int16, data.draw(st.sampled_from(["int64", "int16",
                                                                        "none"]))),
          seed=c["seed"])


def _fixed_deconv():
    return dict(k=(3, 3), s=(2, 2), d=(1, 1), padding="SAME", hw=(4, 4), c_in=3, c_out=2,
                multiplier=1, per_channel=True, out=(4, 4), batch=1, seed=9, s_in=2.0 ** -10,
                s_out=2.0 ** -9, zp_in=0, zp_out=0, act="NONE")


def test_transpose_conv_int16_with_int32_bias_is_refused():
    graph = transpose_conv_graph(_fixed_deconv(), np.int16, "int32")
    with pytest.raises(UnsupportedOperatorError,
                       match=r"TRANSPOSE_CONV \(int16 with int32 bias\) at index 0"):
        Simulator(graph).run([np.zeros((1, 4, 4, 3), np.int16)])


def test_transpose_conv_output_shape_as_graph_input():
    """As in TFLM's own 16x8 test models: simulate takes the shape when it equals the declared
    output shape (checked against TFLM), refuses it otherwise (one line)."""
    from mcugen.errors import InputError
    graph = transpose_conv_graph(_fixed_deconv(), np.int16, "int64", shape_input=True)
    shape = np.array([1, 8, 8, 2], np.int32)
    x = np.random.default_rng(2).integers(-32768, 32768, (1, 4, 4, 3)).astype(np.int16)
    from tests.sim.compare import assert_matches_tflm
    assert_matches_tflm(graph, [[shape, x]])
    with pytest.raises(InputError, match=r"output_shape \[1, 8, 8, 3\] is not"):
        Simulator(graph).run([np.array([1, 8, 8, 3], np.int32), x])
