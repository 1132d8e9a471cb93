"""SOFTMAX over the last axis (TFLM reference_ops::Softmax for int8 → int8 with gemmlowp
fixed-point exp, kScaledDiffIntegerBits = 5; and the float reference)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...fixedpoint import (calculate_input_radius, exp_on_negative_values, get_reciprocal,
                           multiply_by_quantized_multiplier, preprocess_softmax_scaling,
                           rescale, rounding_divide_by_pot, saturating_rounding_doubling_high_mul)
from ...model.graph import Graph, Operator
from ..common import scale_of
from ..registry import FLOAT, QUANT, KernelCall, register

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


@dataclass
class SoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    diff_min: int


def prepare_softmax(graph: Graph, op: Operator) -> SoftmaxParams:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if y.dtype != np.int8 or y.quant is None or int(y.quant.zero_point[0]) != -128 \
            or float(y.quant.scale[0]) != 1.0 / 256:
        raise ValueError("int8 SOFTMAX needs output scale 1/256 and zero point -128")
    beta = float(np.float32(op.options.get("beta", 1.0)))
    mult, shift = preprocess_softmax_scaling(beta, float(np.float32(scale_of(x))),
                                             SCALED_DIFF_INTEGER_BITS)
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    return SoftmaxParams(mult, shift, diff_min)


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
