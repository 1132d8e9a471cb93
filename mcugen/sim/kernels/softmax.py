"""SOFTMAX over the last axis (TFLM reference_ops::Softmax for int8 → int8 with gemmlowp
fixed-point exp, kScaledDiffIntegerBits = 5; and the float reference)."""

from __future__ import annotations

import numpy as np

from ...fixedpoint import (
    exp_on_negative_values,
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


@register("SOFTMAX", QUANT)
def softmax(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_softmax(call.graph, call.op))
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
    exponent = (num_bits_over_unit + 31 - 8)[:, None]
    unsat = rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(shifted_scale[:, None], exp), exponent)
    out = np.where(used, np.clip(unsat - 128, -128, 127), -128)
    return [out.astype(np.int8).reshape(x.shape)]


@register("SOFTMAX", FLOAT)
def softmax_float(call: KernelCall) -> list[np.ndarray]:
    x = call.values[0].astype(np.float64) * float(call.op.options.get("beta", 1.0))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return [(e / e.sum(axis=-1, keepdims=True)).astype(np.float32)]

