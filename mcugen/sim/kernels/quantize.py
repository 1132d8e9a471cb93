"""QUANTIZE and DEQUANTIZE (TFLM quantize.cc / dequantize.cc with reference AffineQuantize,
Requantize and Dequantize).

QUANTIZE float → int8/uint8 divides in float32 and rounds half away from zero; QUANTIZE between
integer types requantizes with a multiplier of s_in / s_out (double), as TFLM's Prepare computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ...model.graph import Graph, Operator
from ..common import QMAX, QMIN, scale_of, zero_point_of
from ..registry import QUANT, KernelCall, register


@dataclass
class RequantizeParams:
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


def prepare_requantize(graph: Graph, op: Operator) -> RequantizeParams:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    mult, shift = quantize_multiplier(float(np.float32(scale_of(x))) /
                                      float(np.float32(scale_of(y))))
    return RequantizeParams(zero_point_of(x), zero_point_of(y), mult, shift)


def quantize_float(values: np.ndarray, scale: float, zero_point: int, dtype) -> np.ndarray:
    """AffineQuantize: round(val / float(scale)) in float32, + zero point, clamped."""
    q = np.asarray(values, np.float32) / np.float32(scale)
    rounded = np.where(q >= 0, np.floor(q + np.float32(0.5)), -np.floor(-q + np.float32(0.5)))
    dtype = np.dtype(dtype)
    return np.clip(rounded.astype(np.int64) + zero_point, QMIN[dtype], QMAX[dtype]).astype(dtype)


@register("QUANTIZE", QUANT)
def quantize(call: KernelCall) -> list[np.ndarray]:
    x, y = call.inputs[0], call.outputs[0]
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
