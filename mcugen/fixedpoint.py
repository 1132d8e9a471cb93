"""The one home of requantization math in mcugen.

The simulator, the quantizer and the code generator all take their multipliers, shifts and
rounding from here, so the constants the C code is built with are the very numbers the simulator
used: bit-exactness is a property of the design.

Semantics follow TFLM's reference kernels (``tensorflow/lite/kernels/internal/common.h`` and
``quantization_util.cc``), which CMSIS-NN's ``arm_nn_requantize`` reproduces: double rounding by
default (a rounding doubling high multiply, then a rounding right shift), single rounding as an
option (``TFLITE_SINGLE_ROUNDING`` / ``CMSIS_NN_USE_SINGLE_ROUNDING``).

All array functions take and return int64 numpy arrays holding int32 values, so that the int64
intermediate products of the C code are exact here too.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def quantize_multiplier(real_multiplier: float, single_rounding: bool = False) -> tuple[int, int]:
    """A real multiplier as (int32 multiplier in [2^30, 2^31), shift): real ≈ m * 2^(shift-31).

    TFLM's ``QuantizeMultiplier``: frexp, round half away from zero, renormalise 2^31, flush
    shifts below -31 to zero. Positive shift means a left shift.
    """
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    q_fixed = int(_round_half_away(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if single_rounding and shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return q_fixed, shift


def quantize_multipliers(real_multipliers: np.ndarray,
                         single_rounding: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Vector form of :func:`quantize_multiplier`: (int32 multipliers, int32 shifts)."""
    pairs = [quantize_multiplier(float(m), single_rounding)
             for m in np.asarray(real_multipliers, dtype=np.float64).ravel()]
    mult = np.array([p[0] for p in pairs], dtype=np.int32)
    shift = np.array([p[1] for p in pairs], dtype=np.int32)
    return mult, shift


def _round_half_away(x: float) -> float:
    """C's ``std::round``: halves away from zero (Python's round() goes to even)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Vector ``std::round`` (TfLiteRound) on float arrays."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32 values (as int64 arrays)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    total = ab + nudge
    # C's int64 division truncates toward zero; numpy's >> floors.
    high = np.where(total >= 0, total >> 31, -((-total) >> 31))
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, high)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT: x / 2^exponent, rounding halves away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: np.ndarray | int,
                                     shift: np.ndarray | int,
                                     single_rounding: bool = False) -> np.ndarray:
    """TFLM's MultiplyByQuantizedMultiplier(int32 x, int32 m, int shift), vectorised.

    ``multiplier`` and ``shift`` broadcast against ``x`` (per-channel requantization passes them
    shaped to the channel axis).
    """
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if single_rounding:
        total_shift = 31 - shift
        round_ = np.int64(1) << (total_shift - 1)
        return (x * multiplier + round_) >> total_shift
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    # int32 arithmetic in C: the left-shifted value wraps like the C code's would.
    shifted = _wrap_int32(x << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def _wrap_int32(x: np.ndarray) -> np.ndarray:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturate(x: np.ndarray, lo: int, hi: int, dtype=np.int8) -> np.ndarray:
    """Clamp to [lo, hi] and narrow to ``dtype``."""
    return np.clip(x, lo, hi).astype(dtype)
