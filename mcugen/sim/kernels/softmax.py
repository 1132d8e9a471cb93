"""SOFTMAX over the last axis (TFLM reference_ops::Softmax for int8 → int8, and int8 → int16 —
the same arithmetic rounded to 16 output bits —, with gemmlowp fixed-point exp,
kScaledDiffIntegerBits = 5; SoftmaxInt16 for int16 → int16 with two interpolated tables; and the
float reference)."""

from __future__ import annotations

import numpy as np

from ...fixedpoint import (
    count_leading_zeros_u32,
    exp_on_negative_values,
    lut_lookup_int16,
    get_reciprocal,
    multiply_by_quantized_multiplier,
    rescale,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from ...ops.softmax import (
    ACCUMULATION_INTEGER_BITS,
    SCALED_DIFF_INTEGER_BITS,
    prepare_softmax,
)
from ..registry import FLOAT, QUANT, KernelCall, register


def softmax_int16(p, x: np.ndarray) -> np.ndarray:
    """reference_ops::SoftmaxInt16: exp of the rescaled difference to the row maximum from the
    exp table, 1 / sum from the reciprocal table, products rounded back to Q0.15 in [0, 32767]."""
    rows = x.astype(np.int64).reshape(-1, x.shape[-1])
    diff = rows - rows.max(axis=1, keepdims=True)
    scaled = multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift)
    exp = lut_lookup_int16(np.clip(scaled + 32767, -32768, 32767), p.exp_lut)
    sum_of_exps = exp.sum(axis=1)
    headroom_plus_one = count_leading_zeros_u32(sum_of_exps)
    shifted_sum = ((sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14
    sym = np.clip(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767)
    reciprocal = lut_lookup_int16(sym, p.one_over_one_plus_x_lut)
    right_shift = (31 - headroom_plus_one)[:, None]
    out = (exp * reciprocal[:, None] + (np.int64(1) << (right_shift - 1))) >> right_shift
    return np.clip(out, 0, 32767).astype(np.int16).reshape(x.shape)


@register("SOFTMAX", QUANT)
def softmax(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_softmax(call.graph, call.op))
    if call.inputs[0].dtype == np.int16:
        return [softmax_int16(p, call.values[0])]
    x = call.values[0].astype(np.int64)
    depth = x.shape[-1]
    rows = x.reshape(-1, depth)
    diff = rows - rows.max(axis=1, keepdims=True)
    used = diff >= p.diff_min
    scaled = multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift)
    exp = exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS)
    terms = np.where(used, rescale(exp, 0, ACCUMULATION_INTEGER_BITS), 0)
    sum_of_exps = ((terms.sum(axis=1) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)   # int32 adds wrap
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    out_dtype = call.outputs[0].dtype
    info = np.iinfo(out_dtype)
    exponent = (num_bits_over_unit + 31 - 8 * out_dtype.itemsize)[:, None]
    unsat = rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(shifted_scale[:, None], exp), exponent)
    out = np.where(used, np.clip(unsat + info.min, info.min, info.max), info.min)
    return [out.astype(out_dtype).reshape(x.shape)]


@register("SOFTMAX", FLOAT)
def softmax_float(call: KernelCall) -> list[np.ndarray]:
    x = call.values[0].astype(np.float64) * float(call.op.options.get("beta", 1.0))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return [(e / e.sum(axis=-1, keepdims=True)).astype(np.float32)]

