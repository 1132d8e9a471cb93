"""mcugen/fixedpoint.py against references written independently here: exact rational arithmetic
(fractions.Fraction) stating what each gemmlowp/TFLM primitive computes, and the TFLM
interpreter itself (which rounding it uses, on a one-weight FULLY_CONNECTED model)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen import fixedpoint as fx
from mcugen.model import serialize_model
from mcugen.model.builder import GraphBuilder
from tests.oracle import Tflm
from tests.strategies import (INT32_MAX, INT32_MIN, accumulators, examples, int32s, multipliers,
                              shifts)

fast = examples(300)


def floor_half_up(q: Fraction) -> int:
    """round(q) with ties toward +infinity."""
    return math.floor(q + Fraction(1, 2))


def half_away(q: Fraction) -> int:
    """round(q) with ties away from zero."""
    return math.floor(q + Fraction(1, 2)) if q >= 0 else -math.floor(-q + Fraction(1, 2))


def ref_srdhm(a: int, b: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul: (2ab / 2^32) rounded, ties up (its nudge of
    1 - 2^30 for negative products makes -x.5 go to -x), saturating INT32_MIN * INT32_MIN."""
    if a == b == INT32_MIN:
        return INT32_MAX
    return floor_half_up(Fraction(a * b, 1 << 31))


def ref_rdbp(x: int, exponent: int) -> int:
    """RoundingDivideByPOT: x / 2^exponent, ties away from zero."""
    return half_away(Fraction(x, 1 << exponent))


def ref_mbqm(x: int, m: int, shift: int) -> int:
    """TFLM's double-rounding MultiplyByQuantizedMultiplier."""
    left, right = max(shift, 0), max(-shift, 0)
    shifted = ((x << left) + (1 << 31)) % (1 << 32) - (1 << 31)   # int32 wrap, as in C
    return ref_rdbp(ref_srdhm(shifted, m), right)


def ref_mbqm_single(x: int, m: int, shift: int) -> int:
    """TFLITE_SINGLE_ROUNDING: x * m / 2^(31 - shift), ties up."""
    return floor_half_up(Fraction(x * m, 1 << (31 - shift)))


@fast
@given(int32s, int32s)
def test_srdhm(a, b):
    assert int(fx.saturating_rounding_doubling_high_mul(np.int64(a), np.int64(b))) == \
        ref_srdhm(a, b)


def test_srdhm_edges():
    for a, b in [(INT32_MIN, INT32_MIN), (INT32_MIN, INT32_MAX), (-(1 << 30), 1), (1 << 30, 1),
                 (-3, 1 << 29), (3, 1 << 29), (-1, 1 << 30), (1, 1 << 30)]:
        assert int(fx.saturating_rounding_doubling_high_mul(a, b)) == ref_srdhm(a, b), (a, b)


@fast
@given(int32s, st.integers(0, 31))
def test_rounding_divide_by_pot(x, exponent):
    assert int(fx.rounding_divide_by_pot(np.int64(x), exponent)) == ref_rdbp(x, exponent)


def test_rounding_divide_by_pot_ties():
    xs = np.array([-7, -6, -5, -3, -2, -1, 1, 2, 3, 5, 6, 7])
    got = fx.rounding_divide_by_pot(xs, 1).tolist()
    assert got == [ref_rdbp(int(x), 1) for x in xs] == [-4, -3, -3, -2, -1, -1, 1, 1, 2, 3, 3, 4]


@fast
@given(accumulators, multipliers, shifts)
def test_multiply_by_quantized_multiplier_double(x, m, shift):
    assert int(fx.multiply_by_quantized_multiplier(x, m, shift)) == ref_mbqm(x, m, shift)


@fast
@given(accumulators, multipliers, shifts)
def test_multiply_by_quantized_multiplier_single(x, m, shift):
    assert int(fx.multiply_by_quantized_multiplier(x, m, shift, single_rounding=True)) == \
        ref_mbqm_single(x, m, shift)


def test_multiply_by_quantized_multiplier_vectorised_per_channel():
    rng = np.random.default_rng(0)
    x = rng.integers(-(1 << 20), 1 << 20, (5, 7))
    m = rng.integers(1 << 30, INT32_MAX, 7)
    s = rng.integers(-20, 3, 7)
    got = fx.multiply_by_quantized_multiplier(x, m, s)
    expected = [[ref_mbqm(int(x[i, j]), int(m[j]), int(s[j])) for j in range(7)] for i in range(5)]
    assert got.tolist() == expected


@fast
@given(st.floats(min_value=1e-9, max_value=200.0, allow_nan=False))
def test_quantize_multiplier(real):
    m, shift = fx.quantize_multiplier(real)
    assert (1 << 30) <= m <= INT32_MAX
    # m * 2^(shift-31) is the nearest such fraction to real: error at most half a unit of m
    exact = Fraction(real) * (1 << (31 - shift)) if shift <= 31 else None
    assert abs(Fraction(m) - exact) <= Fraction(1, 2)
    assert m == half_away(exact) or (m == 1 << 30 and half_away(exact) == 1 << 31)


def test_quantize_multiplier_known_values():
    assert fx.quantize_multiplier(0.5) == (1 << 30, 0)
    assert fx.quantize_multiplier(1.0) == (1 << 30, 1)
    assert fx.quantize_multiplier(0.75) == (3 << 29, 0)
    assert fx.quantize_multiplier(0.0) == (0, 0)
    assert fx.quantize_multiplier(2.0 ** -40) == (0, 0)        # below 2^-31: flushed to zero
    # just under a power of two rounds up to 2^31 and renormalises
    assert fx.quantize_multiplier(1 - 2.0 ** -40) == (1 << 30, 1)


def _one_weight_fc(input_scale: float, output_scale: float) -> bytes:
    b = GraphBuilder("fc1")
    x = b.input("x", (256, 1), np.int8, scale=input_scale, zero_point=0)
    w = b.const("w", np.array([[1]], np.int8), scale=1.0, zero_point=0)
    y = b.tensor("y", (256, 1), np.int8, scale=output_scale, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions",
         fused_activation_function="NONE", weights_format=0, keep_num_dims=False,
         asymmetric_quantize_inputs=False)
    b.output(y)
    return serialize_model(b.build())


def test_tflm_wheel_uses_double_rounding():
    """Find an output scale where the two roundings disagree on some int8 input, then ask TFLM:
    with weight 1 (scale 1) the FC output is exactly MultiplyByQuantizedMultiplier(x, m, s)."""
    xs = np.arange(-128, 128, dtype=np.int64)
    for k in range(1, 2000):
        out_scale = float(np.float32(1.0 + k / 997.0))
        real = float(np.float64(np.float32(1.0)) / np.float64(np.float32(out_scale)))
        m, s = fx.quantize_multiplier(real)
        double = np.clip([ref_mbqm(int(x), m, s) for x in xs], -128, 127)
        single = np.clip([ref_mbqm_single(int(x), m, s) for x in xs], -128, 127)
        if not np.array_equal(double, single):
            break
    else:
        pytest.fail("no discriminating scale found")
    tflm = Tflm(_one_weight_fc(1.0, out_scale), preserve_all=False)
    got = tflm.run([xs.astype(np.int8).reshape(256, 1)])[0].ravel().astype(np.int64)
    assert got.tolist() == double.tolist()
    assert got.tolist() != single.tolist()
