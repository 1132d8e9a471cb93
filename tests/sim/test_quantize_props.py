"""QUANTIZE (float32 -> int8, int8 -> int8, int8 <-> uint8) and DEQUANTIZE (int8/uint8 ->
float32): single-op models with random scales and zero points, byte-identical to TFLM.

DEQUANTIZE's float output is compared exactly here (bytes), not within a tolerance: TFLM's
formula (double scale times the offset value, narrowed to float32) is exact to reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model import serialize_model
from mcugen.sim import Simulator
from tests.oracle import Tflm
from tests.sim.single_op import check, unary_graph
from tests.strategies import (examples, quantize_scales, quantize_shapes, zero_points,
                              zero_points_of)

# (input dtype, output dtype) pairs TFLM's QUANTIZE supports among int8/uint8/float32
REQUANTIZE_PAIRS = [(np.int8, np.int8), (np.int8, np.uint8), (np.uint8, np.int8)]


def _every_value(dtype):
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1).astype(dtype).reshape(256)


@pytest.mark.parametrize("pair", REQUANTIZE_PAIRS, ids=lambda p: f"{p[0].__name__}-{p[1].__name__}")
@given(data=st.data())
def test_requantize(pair, data):
    src, dst = pair
    s_in = data.draw(quantize_scales)
    q_in = (s_in, data.draw(zero_points_of(src)))
    same_scale = data.draw(st.booleans())    # TFLM's int8<->uint8 XOR fast path
    q_out = (s_in if same_scale else data.draw(quantize_scales), data.draw(zero_points_of(dst)))
    if same_scale and src != dst and data.draw(st.booleans()):
        q_out = (s_in, q_in[1] + (128 if dst == np.uint8 else -128))
    graph = unary_graph("QUANTIZE", (256,), src, dst, q_in, q_out, version=2)
    check(graph, runs=2, extra_inputs=[[_every_value(src)]])


@given(shape=quantize_shapes, scale=quantize_scales, zero_point=zero_points,
       spread=st.floats(-3, 12))
def test_quantize_float_to_int8(shape, scale, zero_point, spread):
    graph = unary_graph("QUANTIZE", shape, np.float32, np.int8, None, (scale, zero_point),
                        version=2)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * scale * 2.0 ** spread).astype(np.float32)
    # exact halves (round half away from zero) and the saturation edges
    halves = ((np.arange(x.size).reshape(shape) % 7 - 3 + 0.5) * np.float32(scale)).astype(np.float32)
    check(graph, runs=0, extra_inputs=[[x], [halves]])


@pytest.mark.parametrize("src", [np.int8, np.uint8], ids=["int8", "uint8"])
@examples(20)
@given(data=st.data())
def test_dequantize_exact(src, data):
    q_in = (data.draw(quantize_scales), data.draw(zero_points_of(src)))
    graph = unary_graph("DEQUANTIZE", (256,), src, np.float32, q_in, None, version=2)
    tflm = Tflm(serialize_model(graph))
    x = _every_value(src)
    theirs = tflm.run([x])[0]
    ours = Simulator(graph).run([x]).outputs[0]
    assert ours.tobytes() == np.asarray(theirs, np.float32).tobytes()

