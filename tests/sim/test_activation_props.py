"""LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH: single-op int8 models with random
scales and zero points, each run on all 256 int8 values plus random tensors, byte-identical to
TFLM; float32 models within 1e-3 relative. int16 (16x8; no HARD_SWISH): every one of the 65536
values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sim.single_op import check, unary_graph
from tests.strategies import activation_case, activation_shapes, examples, leaky_relu_alphas


def _run(opcode, case):
    shape, q_in, q_out, options_type, options = case
    graph = unary_graph(opcode, shape, np.int8, np.int8, q_in, q_out, options_type, **options)
    every_value = np.arange(-128, 128, dtype=np.int8).reshape(shape)
    check(graph, runs=1, extra_inputs=[[every_value]])


OPS = ["LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"]


@pytest.mark.parametrize("opcode", OPS)
@given(data=st.data())
def test_int8(opcode, data):
    _run(opcode, data.draw(activation_case(opcode)))


@pytest.mark.parametrize("opcode", OPS)
@examples(5)
@given(shape=activation_shapes, alpha=leaky_relu_alphas)
def test_float(opcode, shape, alpha):
    options = ({"alpha": alpha}, "LeakyReluOptions") if opcode == "LEAKY_RELU" else ({}, None)
    graph = unary_graph(opcode, shape, np.float32, np.float32, None, None, options[1],
                        **options[0])
    rng = np.random.default_rng(0)
    check(graph, extra_inputs=[[(rng.standard_normal(shape) * 5).astype(np.float32)]])


def test_non_int8_is_a_clear_error():
    from mcugen.errors import UnsupportedOperatorError
    from mcugen.sim import Simulator
    graph = unary_graph("HARD_SWISH", (4,), np.int16, np.int16, (0.1, 0), (0.1, 0))
    with pytest.raises(UnsupportedOperatorError, match=r"HARD_SWISH \(int16\) at index 0"):
        Simulator(graph).run([np.zeros(4, np.int16)])


# -- int16 (16x8): RELU, RELU6, LEAKY_RELU on every int16 value ---------------------------------
@pytest.mark.parametrize("opcode", ["RELU", "RELU6", "LEAKY_RELU"])
@examples(20)
@given(data=st.data())
def test_int16(opcode, data):
    _, (s_in, _), q_out, options_type, options = data.draw(activation_case(opcode))
    s_in = s_in / 256.0                    # int16 scales are ~256 times finer
    q_out = (s_in if opcode == "RELU6" else q_out[0] / 256.0, 0)
    graph = unary_graph(opcode, (256, 256), np.int16, np.int16, (s_in, 0), q_out,
                        options_type, **options)
    every_value = np.arange(-32768, 32768, dtype=np.int16).reshape(256, 256)
    check(graph, runs=1, extra_inputs=[[every_value]])


# -- int16 LOGISTIC and TANH: power-of-two input scales take TFLM's fixed x3 path, others its
# -- doubled multiplier; the output is fixed at 2^-15 ------------------------------------------
def sigmoid16_graph(opcode: str, s_in: float):
    return unary_graph(opcode, (256, 256), np.int16, np.int16, (s_in, 0), (1.0 / 32768, 0))


ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16).reshape(256, 256)


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
@examples(12)
@given(s_in=st.one_of(st.integers(-16, 1).map(lambda e: 2.0 ** e),
                      st.floats(-20.0, 2.3).map(lambda e: float(np.float32(2.0 ** e)))))
def test_sigmoid_int16(opcode, s_in):
    check(sigmoid16_graph(opcode, s_in), runs=1, extra_inputs=[[ALL_INT16]])


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_sigmoid_int16_refusals(opcode):
    """TFLM's int16 prepare rejects other output scales and zero points (exit 2 here); an input
    scale whose rescaling overflows TFLM's int32 product has no oracle: refused by name."""
    from mcugen.errors import InputError, UnsupportedOperatorError
    from mcugen.sim import Simulator
    x = [np.zeros((256, 256), np.int16)]
    with pytest.raises(InputError, match="is not 2\\^-15"):
        Simulator(unary_graph(opcode, (256, 256), np.int16, np.int16, (0.001, 0),
                              (1.0 / 256, 0))).run(x)
    with pytest.raises(UnsupportedOperatorError, match=rf"{opcode} \(int16\) at index 0"):
        Simulator(sigmoid16_graph(opcode, 6.0)).run(x)
