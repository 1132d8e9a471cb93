"""QUANTIZE and DEQUANTIZE (TFLM quantize.cc / dequantize.cc with reference AffineQuantize,
Requantize and Dequantize).

QUANTIZE float → int8/uint8 divides in float32 and rounds half away from zero; QUANTIZE between
integer types requantizes with a multiplier of s_in / s_out (double), as TFLM's Prepare
computes it."""

from __future__ import annotations

import numpy as np

from ...fixedpoint import multiply_by_quantized_multiplier
from ...ops.common import QMAX, QMIN, scale_of, zero_point_of
from ...ops.quantize import check_quantize_pair, prepare_requantize, quantize_float
from ..registry import QUANT, KernelCall, register


@register("QUANTIZE", QUANT)
def quantize(call: KernelCall) -> list[np.ndarray]:
    x, y = call.inputs[0], call.outputs[0]
    check_quantize_pair(call.graph, call.op)
    if x.dtype == np.float32:
        return [quantize_float(call.values[0], scale_of(y), zero_point_of(y), y.dtype)]
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_requantize(call.graph, call.op))
    out = multiply_by_quantized_multiplier(call.values[0].astype(np.int64) - p.input_zero_point,
                                           p.multiplier, p.shift) + p.output_zero_point
    return [np.clip(out, QMIN[y.dtype], QMAX[y.dtype]).astype(y.dtype)]


@register("DEQUANTIZE", QUANT)
def dequantize(call: KernelCall) -> list[np.ndarray]:
    x = call.inputs[0]
    scale = np.float64(np.float32(scale_of(x)))
    return [(scale * (call.values[0].astype(np.int64) - zero_point_of(x))).astype(np.float32)]

