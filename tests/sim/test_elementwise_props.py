"""ADD, SUB, MUL, MAXIMUM, MINIMUM: single-op models with random broadcast shapes, scales, zero
points and fused activations, byte-identical to TFLM (float models within 1e-3 relative)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from mcugen.model.builder import GraphBuilder
from tests.sim.single_op import check
from tests.strategies import (add_sub_case, broadcast_pair, examples, float_activations,
                              max_min_case, mul_case)

OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions",
           "MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions"}
FUSED = {"ADD", "SUB", "MUL"}


def binary_graph(opcode, s1, s2, out, q1, q2, qo, activation, dtype=np.int8):
    b = GraphBuilder(opcode.lower())
    quant = (lambda q: {} if q is None else {"scale": q[0], "zero_point": q[1]})
    x1 = b.input("x1", s1, dtype, **quant(q1))
    x2 = b.input("x2", s2, dtype, **quant(q2))
    y = b.tensor("y", out, dtype, **quant(qo))
    options = {"fused_activation_function": activation} if opcode in FUSED else {}
    version = {"SUB": 2, "MUL": 2, "MAXIMUM": 2, "MINIMUM": 2}.get(opcode)
    b.op(opcode, [x1, x2], [y], OPTIONS[opcode], version=version, **options)
    b.output(y)
    return b.build()


def _run(opcode, case):
    check(binary_graph(opcode, *case))


@pytest.mark.parametrize("opcode", ["ADD", "SUB"])
@given(case=add_sub_case())
def test_add_sub_int8(opcode, case):
    _run(opcode, case)


@given(case=mul_case())
def test_mul_int8(case):
    _run("MUL", case)


@pytest.mark.parametrize("opcode", ["MAXIMUM", "MINIMUM"])
@examples(20)
@given(case=max_min_case())
def test_max_min_int8(opcode, case):
    _run(opcode, case)


@pytest.mark.parametrize("opcode", ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"])
@examples(10)
@given(shapes=broadcast_pair(), activation=float_activations)
def test_float(opcode, shapes, activation):
    check(binary_graph(opcode, *shapes, None, None, None,
                       activation if opcode in FUSED else "NONE", dtype=np.float32))


ALL_INT8 = np.arange(-128, 128, dtype=np.int8)


def _all_pairs(opcode, q1, q2, qo, activation):
    """Every (int8, int8) pair at once: (256, 1) op (1, 256) -> (256, 256)."""
    graph = binary_graph(opcode, (256, 1), (1, 256), (256, 256), q1, q2, qo, activation)
    check(graph, runs=0, extra_inputs=[[ALL_INT8.reshape(256, 1), ALL_INT8.reshape(1, 256)]])


@pytest.mark.parametrize("opcode", ["ADD", "SUB"])
@examples(20)
@given(case=add_sub_case())
def test_add_sub_all_pairs(opcode, case):
    _all_pairs(opcode, *case[3:])


@examples(20)
@given(case=mul_case())
def test_mul_all_pairs(case):
    _all_pairs("MUL", *case[3:])


def test_sub_scale_arithmetic_matches_tflm():
    """Scales where float32 Prepare arithmetic (as TFLM's sub_common.cc source reads) and double
    arithmetic (as ADD's) give different output bytes: the wheel agrees with double."""
    _all_pairs("SUB", (0.061757978051900864, 100), (0.08310625702142715, -104),
               (0.05030754953622818, 49), "NONE")


def test_add_resnet_like_same_shape_relu():
    """The residual ADD shape of resnet8 (same shapes, fused RELU), fixed, as a smoke case."""
    check(binary_graph("ADD", (1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16),
                       (0.0427, -12), (0.0193, 5), (0.0388, -128), "RELU"), runs=5)


def _int16(case):
    """An int8 case made 16x8: zero points 0 (TFLM requires them for int16)."""
    s1, s2, out, q1, q2, qo, act = case
    return s1, s2, out, (q1[0], 0), (q2[0], 0), (qo[0], 0), act


@pytest.mark.parametrize("opcode", ["ADD", "SUB"])
@given(case=add_sub_case())
def test_add_sub_int16(opcode, case):
    check(binary_graph(opcode, *_int16(case), dtype=np.int16))


@given(case=mul_case())
def test_mul_int16(case):
    check(binary_graph("MUL", *_int16(case), dtype=np.int16))


def test_int16_add_with_a_zero_point_is_a_clear_error():
    from mcugen.errors import InputError
    from mcugen.sim import Simulator
    graph = binary_graph("ADD", (4,), (4,), (4,), (0.1, 3), (0.1, 0), (0.1, 0), "NONE",
                         dtype=np.int16)
    with pytest.raises(InputError, match=r"int16 ADD tensor 'x1' has zero point 3"):
        Simulator(graph).run([np.zeros(4, np.int16)] * 2)
