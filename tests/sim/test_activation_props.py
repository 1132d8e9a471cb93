"""LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH: single-op int8 models with random
scales and zero points, each run on all 256 int8 values plus random tensors, byte-identical to
TFLM; float32 models within 1e-3 relative."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sim.single_op import (DEFAULT_EXAMPLES, SLOW_EXAMPLES, budget, check, slow_selected,  # noqa: F401
                                 unary_graph, zero_points)

shapes = st.sampled_from([(256,), (1, 16, 16), (2, 8, 4, 4), (1, 1, 1, 256)])
in_scales = st.floats(-9.0, 1.0).map(lambda e: float(np.float32(2.0 ** e)))
ratios = st.floats(-3.0, 3.0).map(lambda e: 2.0 ** e)
alphas = st.sampled_from([0.01, 0.1, 0.2, 0.3, 0.5, 0.99, 1.5, -0.25])


@st.composite
def int8_case(draw, opcode):
    shape = draw(shapes)
    s_in, zp_in = draw(in_scales), draw(zero_points)
    options, options_type = {}, None
    if opcode == "LOGISTIC":
        q_out = (1.0 / 256, -128)
    elif opcode == "TANH":
        q_out = (1.0 / 128, 0)
    elif opcode == "RELU6":
        q_out = (s_in, zp_in)
    else:
        q_out = (float(np.float32(s_in * draw(ratios))), draw(zero_points))
    if opcode == "LEAKY_RELU":
        options, options_type = {"alpha": draw(alphas)}, "LeakyReluOptions"
    return shape, (s_in, zp_in), q_out, options_type, options


def _run(opcode, case):
    shape, q_in, q_out, options_type, options = case
    graph = unary_graph(opcode, shape, np.int8, np.int8, q_in, q_out, options_type, **options)
    every_value = np.arange(-128, 128, dtype=np.int8).reshape(shape)
    check(graph, runs=1, extra_inputs=[[every_value]])


OPS = ["LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"]


@pytest.mark.parametrize("opcode", OPS)
@budget(DEFAULT_EXAMPLES)
@given(data=st.data())
def test_int8(opcode, data):
    _run(opcode, data.draw(int8_case(opcode)))


@pytest.mark.parametrize("opcode", OPS)
@budget(DEFAULT_EXAMPLES // 8)
@given(shape=shapes, alpha=alphas)
def test_float(opcode, shape, alpha):
    options = ({"alpha": alpha}, "LeakyReluOptions") if opcode == "LEAKY_RELU" else ({}, None)
    graph = unary_graph(opcode, shape, np.float32, np.float32, None, None, options[1],
                        **options[0])
    rng = np.random.default_rng(0)
    check(graph, extra_inputs=[[(rng.standard_normal(shape) * 5).astype(np.float32)]])


@pytest.mark.slow
@pytest.mark.parametrize("opcode", OPS)
@budget(SLOW_EXAMPLES)
@given(data=st.data())
def test_int8_slow(slow_selected, opcode, data):
    _run(opcode, data.draw(int8_case(opcode)))


def test_non_int8_is_a_clear_error():
    from mcugen.errors import UnsupportedOperatorError
    from mcugen.sim import Simulator
    graph = unary_graph("LOGISTIC", (4,), np.int16, np.int16, (0.1, 0), (1 / 32768, 0))
    with pytest.raises(UnsupportedOperatorError, match=r"LOGISTIC \(int16\) at index 0"):
        Simulator(graph).run([np.zeros(4, np.int16)])
