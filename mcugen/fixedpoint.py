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
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32 values (as int64 arrays).

    gemmlowp adds a nudge of 2^30 (ab >= 0) or 1 - 2^30 (ab < 0) and divides by 2^31 truncating
    toward zero; for integers that is exactly floor((ab + 2^30) / 2^31), one arithmetic shift.
    The only product whose result leaves int32 is INT32_MIN * INT32_MIN (2^62 -> 2^31), which
    gemmlowp saturates to INT32_MAX: the minimum does that and nothing else.
    """
    ab = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    return np.minimum((ab + (1 << 30)) >> 31, INT32_MAX)


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
    # int32 arithmetic in C: the left-shifted value wraps like the C code's would (multipliers
    # below one, the common case, shift nothing left: skip the work then).
    shifted = _wrap_int32(x << left) if left.any() else x
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def multiply_by_quantized_multiplier_int64(x: np.ndarray, multiplier: np.ndarray | int,
                                           shift: np.ndarray | int) -> np.ndarray:
    """TFLM's MultiplyByQuantizedMultiplier(int64 x, int32 m, int shift) (double-rounding build),
    the requantization of every int16 kernel with an int64 accumulator (16x8 conv, depthwise
    and fully connected with int64 bias): the multiplier is first reduced to 15 bits
    (``(m + 2^15) >> 16``, or 0x7FFF from 0x7FFF0000 up), then one rounding shift by
    ``15 - shift``. TFLM assumes |x| < 2^47 (callers check their accumulator bound) and narrows
    the int64 result to int32 as C does: it wraps."""
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    reduced = np.where(multiplier < 0x7FFF0000, (multiplier + (1 << 15)) >> 16, 0x7FFF)
    total_shift = 15 - shift
    return _wrap_int32((x * reduced + (np.int64(1) << (total_shift - 1))) >> total_shift)


def _wrap_int32(x: np.ndarray) -> np.ndarray:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturate(x: np.ndarray, lo: int, hi: int, dtype=np.int8) -> np.ndarray:
    """Clamp to [lo, hi] and narrow to ``dtype``."""
    return np.clip(x, lo, hi).astype(dtype)


# -- gemmlowp fixed-point transcendental helpers (softmax, logistic, tanh) ------------------------
# Values are raw int32 numbers of a gemmlowp FixedPoint<int32, I> (31 - I fractional bits), held
# in int64 arrays. Multiplying two fixed-point numbers is a SaturatingRoundingDoublingHighMul of
# their raws; adding is a plain int32 add.

def saturating_rounding_multiply_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent>: x * 2^exponent, saturating / rounding."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, INT32_MAX,
                    np.where(x < -threshold, INT32_MIN, x << exponent))


def rescale(x: np.ndarray, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """gemmlowp Rescale<dst>(FixedPoint<int32, src>)."""
    return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def _fx_mul(a: np.ndarray, b) -> np.ndarray:
    return saturating_rounding_doubling_high_mul(a, b)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    """exp(a) for a in [-1/4, 0), a and result FixedPoint<int32, 0> (Taylor series around -1/8)."""
    constant_term = 1895147668          # exp(-1/8)
    constant_1_over_3 = 715827883
    x = _wrap_int32(np.asarray(a, np.int64) + (1 << 28))
    x2 = _fx_mul(x, x)
    x3 = _fx_mul(x2, x)
    x4 = _fx_mul(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    poly = saturating_rounding_multiply_by_pot(
        _wrap_int32(_fx_mul(_wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return _wrap_int32(constant_term + _fx_mul(constant_term, _wrap_int32(x + poly)))


def exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """gemmlowp exp_on_negative_values: a is FixedPoint<int32, integer_bits> ≤ 0, result
    FixedPoint<int32, 0>."""
    a = np.asarray(a, dtype=np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = _wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in ((-2, 1672461947), (-1, 1302514674), (0, 790015084),
                                 (1, 290630308), (2, 39332535), (3, 720401), (4, 242)):
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where(remainder & bit, _fx_mul(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, INT32_MAX, result)


def rounding_half_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = np.asarray(a, np.int64) + np.asarray(b, np.int64)
    sign = np.where(total >= 0, 1, -1)
    t = total + sign
    return np.where(t >= 0, t // 2, -((-t) // 2))     # C division truncates toward zero


_ONE_F2 = 1 << 29


def _newton_one_over_half_denominator(a: np.ndarray) -> np.ndarray:
    """FixedPoint<int32, 2> x ≈ 1 / ((1 + a) / 2) for a in [0, 1): gemmlowp's three Newton-Raphson
    steps from 48/17 - 32/17 d, shared by both of its 1/(1+x) functions."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = _wrap_int32(1515870810 + _fx_mul(half_denominator, -1010580540))
    for _ in range(3):
        half_denominator_times_x = _fx_mul(half_denominator, x)
        one_minus = _wrap_int32(_ONE_F2 - half_denominator_times_x)
        x = _wrap_int32(x + rescale(_fx_mul(x, one_minus), 4, 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a: np.ndarray) -> np.ndarray:
    """gemmlowp one_over_one_plus_x_for_x_in_0_1: FixedPoint<int32, 0> in and out."""
    x = _newton_one_over_half_denominator(a)
    return rescale(x, 1, 0)    # ExactMulByPot<-1> reinterprets F2 as F1, then Rescale<0>


def get_reciprocal(x: np.ndarray, x_integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLM GetReciprocal: (FixedPoint<int32,0> raw of 1/x scaled, num_bits_over_unit)."""
    x = np.asarray(x, dtype=np.int64)
    headroom_plus_one = 32 - _bit_length(x)            # count leading zeros of uint32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted_sum_minus_one = ((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31)
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit


def _bit_length(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    result = np.zeros(x.shape, dtype=np.int64)
    for shift in (16, 8, 4, 2, 1):
        big = x >= (1 << shift)
        result = result + np.where(big, shift, 0)
        x = np.where(big, x >> shift, x)
    return result + (x > 0)


def preprocess_softmax_scaling(beta: float, input_scale: float,
                               input_integer_bits: int) -> tuple[int, int]:
    """TFLM PreprocessSoftmaxScaling (double rounding build): (multiplier, left_shift)."""
    max_real = float((1 << 31) - 1)
    real = min(float(beta) * float(input_scale) * (1 << (31 - input_integer_bits)), max_real)
    return quantize_multiplier(real)


def calculate_input_radius(input_integer_bits: int, input_left_shift: int,
                           total_signed_bits: int = 31) -> int:
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1)
                          * (1 << (total_signed_bits - input_integer_bits))
                          / (1 << input_left_shift))
    return int(math.floor(max_input_rescaled))


def _fx_neg(a: np.ndarray) -> np.ndarray:
    return _wrap_int32(-np.asarray(a, np.int64))


def one_minus_x_over_one_plus_x_for_x_in_0_1(a: np.ndarray) -> np.ndarray:
    """gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: FixedPoint<int32, 0> in and out."""
    x = _newton_one_over_half_denominator(a)
    return rescale(_wrap_int32(x - _ONE_F2), 2, 0)


def fixed_point_logistic(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """gemmlowp logistic: FixedPoint<int32, integer_bits> -> FixedPoint<int32, 0>."""
    a = np.asarray(a, np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, _fx_neg(a))
    # logistic_on_positive_values: 1 / (1 + exp(-|a|))
    result_if_positive = one_over_one_plus_x_for_x_in_0_1(
        exp_on_negative_values(_fx_neg(abs_input), integer_bits))
    result_if_negative = _wrap_int32(INT32_MAX - result_if_positive)
    result = np.where(positive, result_if_positive, result_if_negative)
    return np.where(a == 0, 1 << 30, result)


def fixed_point_tanh(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """gemmlowp tanh: FixedPoint<int32, integer_bits> -> FixedPoint<int32, 0>."""
    a = np.asarray(a, np.int64)
    negative = a < 0
    n = np.where(negative, a, _fx_neg(a))
    # neg_tanh_on_negative_values: ExactMulByPot<1> reads n with one more integer bit.
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    result = np.where(negative, _fx_neg(t), t)
    return np.where(a == 0, 0, result)


def frexp_multiplier(real_multiplier: float) -> tuple[int, int]:
    """(multiplier, shift) as TFLM's int8 LOGISTIC/TANH Prepare computes them inline:
    frexp, then static_cast<int32_t>(TfLiteRound(q * 2^31)) without QuantizeMultiplier's
    renormalisation (q rounding up to 1.0 wraps to INT32_MIN like the C cast on the targets)."""
    q, shift = math.frexp(real_multiplier)
    q_fixed = int(_round_half_away(q * (1 << 31)))
    return int(_wrap_int32(np.int64(q_fixed))), shift


def multiply_by_quantized_multiplier_greater_than_one(x: np.ndarray, multiplier: int,
                                                      left_shift: int) -> np.ndarray:
    """TFLM MultiplyByQuantizedMultiplierGreaterThanOne (double-rounding build)."""
    return saturating_rounding_doubling_high_mul(
        _wrap_int32(np.asarray(x, np.int64) << left_shift), multiplier)


# -- int16 helpers of TFLM's reference HARD_SWISH (int16 values held in int64 arrays) ------------

INT16_MIN = -(1 << 15)
INT16_MAX = (1 << 15) - 1


def wrap_int16(x: np.ndarray) -> np.ndarray:
    """A C cast to int16_t (two's complement truncation)."""
    return ((np.asarray(x, np.int64) + (1 << 15)) & 0xFFFF) - (1 << 15)


def saturating_rounding_doubling_high_mul_int16(a: np.ndarray, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul<int16>."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    total = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    high = np.where(total >= 0, total >> 15, -((-total) >> 15))
    return np.where((a == INT16_MIN) & (b == INT16_MIN), INT16_MAX, wrap_int16(high))


def saturating_doubling_high_mul_int16(a: np.ndarray, b) -> np.ndarray:
    """TFLM hard_swish.h SaturatingDoublingHighMul: (a*b) / 2^15 truncated, on int16."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    high = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((a == INT16_MIN) & (b == INT16_MIN), INT16_MAX, wrap_int16(high))


def saturating_left_shift_int16(x: np.ndarray, amount: int) -> np.ndarray:
    """TFLM hard_swish.h SaturatingLeftShift on int16."""
    return np.clip(np.asarray(x, np.int64) << amount, INT16_MIN, INT16_MAX)


def down_scale_int32_to_int16_multiplier(multiplier: int) -> int:
    """TFLM common.h DownScaleInt32ToInt16Multiplier."""
    if multiplier >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16


# -- int16 lookup tables (TFLM common.h LUTPopulateInt16 / LUTLookup) -----------------------------
# TFLM's int16 softmax (and other int16 transcendental kernels) tabulate a float32 function at 513
# points in Prepare and interpolate at run time. The table is computed here once, in float32
# exactly as the C code does, and emitted as a constant: simulator and C read the same numbers.
INT16_LUT_SIZE = 513


def _libm_expf():
    """The C library's ``expf``: TFLM's Prepare calls ``std::exp(float)``; numpy's float32 exp
    and a rounded double exp each differ from it in the last bit at some table points."""
    import ctypes
    import ctypes.util
    libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    fn = libm.expf
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return fn


_EXPF = None


def expf(value: np.float32) -> np.float32:
    global _EXPF
    if _EXPF is None:
        _EXPF = _libm_expf()
    return np.float32(_EXPF(float(value)))


def _roundf(x: np.float32) -> np.float32:
    """C ``roundf`` (TfLiteRound on float): halves away from zero, exact for every float32."""
    v = float(x)
    r = math.trunc(v)
    if abs(v - r) >= 0.5:
        r += 1 if v > 0 else -1
    return np.float32(r)


def lut_populate_int16(input_scale: float, input_zero_point: int, output_scale: float,
                       output_zero_point: int, transform) -> np.ndarray:
    """LUTPopulateInt16<float>: 512 samples of ``transform`` (float32 -> float32) over the int16
    input range, each corrected by half the interpolation error at its midpoint, plus the end
    point; every operation in float32 as the C code (no FMA contraction)."""
    f = np.float32
    input_scale, output_scale = f(input_scale), f(output_scale)
    input_min = input_scale * f(-32768 - input_zero_point)
    input_max = input_scale * f(32767 - input_zero_point)
    output_min = output_scale * f(-32768 - output_zero_point)
    output_max = output_scale * f(32767 - output_zero_point)
    steps = 512
    step = (input_max - input_min) / f(steps)
    half_step = step / f(2)
    inv = f(65536) / (output_max - output_min)
    lut = np.zeros(INT16_LUT_SIZE, dtype=np.int16)
    for i in range(steps):
        val = transform(input_min + f(i) * step)
        val_mid = transform(input_min + f(i) * step + half_step)
        val_next = transform(input_min + f(i + 1) * step)
        sample = _roundf(val * inv)
        mid_interp = _roundf((val_next * inv + _roundf(val * inv)) / f(2))
        mid = _roundf(val_mid * inv)
        bias = _roundf((mid_interp - mid) / f(2))
        lut[i] = int(min(max(float(sample - bias), -32768.0), 32767.0))
    lut[steps] = int(min(max(float(_roundf(transform(input_max) * inv)), -32768.0), 32767.0))
    return lut


def lut_lookup_int16(value: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """LUTLookup(int16, lut): the table entry at the top 9 bits, interpolated by the low 7 with
    int16 narrowing of the slope and the result (wrap-around as in C)."""
    value = np.asarray(value, dtype=np.int64)
    index = 256 + (value >> 7)
    offset = value & 0x7F
    table = np.asarray(lut, dtype=np.int64)
    base = table[index]
    slope = wrap_int16(table[index + 1] - base)
    return wrap_int16(base + ((slope * offset + 64) >> 7))


def count_leading_zeros_u32(x: np.ndarray) -> np.ndarray:
    """CountLeadingZeros(uint32): 32 for 0."""
    return 32 - _bit_length(x)


# -- int16 sigmoid / tanh of TFLM's integer LSTM (reference_integer_ops Logistic / Tanh) --------
#: TFLM's ``sigmoid_table_uint16`` (tensorflow/lite/kernels/internal/common.h, Apache-2.0):
#: sigmoid(i/24) in 0.16 format. The published numbers, not a formula: round(65536 sigmoid(i/24))
#: differs from them in a few entries, and bit-exactness needs theirs.
SIGMOID_TABLE_UINT16 = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
], dtype=np.int64)


def _int16_sigmoid_input(x: np.ndarray, input_multiplier: int, input_left_shift: int):
    if input_multiplier == 0:           # power-of-two case: the 3/4 scaling folded in the shift
        input_multiplier, input_left_shift = 3 << input_left_shift, 0
    rnd = (1 << (input_left_shift - 1)) if input_left_shift > 0 else 0
    return (np.asarray(x, dtype=np.int64) * input_multiplier + rnd) >> input_left_shift


def _sigmoid_table_lookup(a: np.ndarray, frac_bits: int, beyond: int) -> np.ndarray:
    """The table interpolation both int16 activations share: entry a >> frac_bits and the next,
    weighted by the low frac_bits; ``beyond`` past the last entry."""
    uh = a >> frac_bits
    inside = uh < 255
    idx = np.where(inside, uh, 0)
    ua, ub = SIGMOID_TABLE_UINT16[idx], SIGMOID_TABLE_UINT16[idx + 1]
    return np.where(inside, (ua << frac_bits) + (a & ((1 << frac_bits) - 1)) * (ub - ua), beyond)


def logistic_int16(x: np.ndarray, input_multiplier: int = 0,
                   input_left_shift: int = 0) -> np.ndarray:
    """reference_integer_ops::Logistic(int16): table interpolation on |x|, 9 fractional bits."""
    v = _int16_sigmoid_input(x, input_multiplier, input_left_shift)
    result = _sigmoid_table_lookup(np.abs(v), 9, 0x7FFF << 10)
    result = np.where(v >= 0, result + (1 << 9), (1 << 25) - result + (1 << 9) - 1)
    return wrap_int16(result >> 10).astype(np.int16)   # uint32 >> 10, stored as int16


def tanh_int16(x: np.ndarray, input_multiplier: int = 0, input_left_shift: int = 0) -> np.ndarray:
    """reference_integer_ops::Tanh(int16): tanh(x) = 2 sigmoid(2x) - 1 on the same table, 8
    fractional bits."""
    v = _int16_sigmoid_input(x, input_multiplier, input_left_shift)
    result = _sigmoid_table_lookup(np.abs(v), 8, 0xFFFF << 8)
    result = np.where(v >= 0, result - (1 << 23) + (1 << 7), -result + (1 << 23) + (1 << 7) - 1)
    # int32 result, arithmetic shift, then the int16 store of C
    return wrap_int16(result >> 8).astype(np.int16)
