"""MEAN (TFLM reduce_common.cc: PrepareMeanOrSumHelper + reference_ops::QuantizedMeanOrSum for
int8, one path for every axis set; the float reference for float32).

int8: the raw values are summed in int32 over the reduced axes, the zero point is removed as
``zp * count``, and the division by the element count is folded into the requantization
multiplier (``(multiplier << shift) / count`` with ``shift = floor(log2(count))`` capped at 32
and at ``31 + output_shift``)."""

from __future__ import annotations

import numpy as np

from ...fixedpoint import multiply_by_quantized_multiplier
from ...ops.common import QMAX, QMIN
from ...ops.mean import MeanParams, prepare_mean
from ..registry import FLOAT, QUANT, KernelCall, register


def _params(call: KernelCall) -> MeanParams:
    p = call.cache.get("params")
    if p is None:
        p = call.cache["params"] = prepare_mean(call.graph, call.op)
    return p


@register("MEAN", QUANT)
def mean(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    y = call.outputs[0]
    total = call.values[0].astype(np.int64).sum(axis=p.axes, keepdims=p.keep_dims)
    shifted_sum = total - p.input_zero_point * p.count
    out = multiply_by_quantized_multiplier(shifted_sum, p.multiplier, p.shift) \
        + p.output_zero_point
    return [np.clip(out, QMIN[y.dtype], QMAX[y.dtype]).astype(y.dtype)]


@register("MEAN", FLOAT)
def mean_float(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    return [call.values[0].astype(np.float64).mean(axis=p.axes, keepdims=p.keep_dims)
            .astype(np.float32)]

