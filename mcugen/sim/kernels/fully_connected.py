"""FULLY_CONNECTED (TFLM reference_integer_ops::FullyConnected / FullyConnectedPerChannel, int8
and 16x8 with an int32 or int64 accumulator by bias type, and the float reference). The input is
flattened to (batches, accum_depth) where accum_depth is the weights' second dimension;
keep_num_dims only changes the output's shape, which the executor takes from the output
tensor."""

from __future__ import annotations

import numpy as np

from ...fixedpoint import (multiply_by_quantized_multiplier,
                           multiply_by_quantized_multiplier_int64)
from ...ops.fully_connected import prepare_fully_connected
from ..common import apply_float_activation
from ..registry import FLOAT, QUANT, KernelCall, register


@register("FULLY_CONNECTED", QUANT)
def fully_connected(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_fully_connected(call.graph, call.op))
    x, w = call.values[0], call.values[1]
    bias = call.values[2] if len(call.values) > 2 else None
    if "w" not in call.cache:
        call.cache["w"] = (w.astype(np.float64) - p.filter_zero_point).T
    depth = w.shape[1]
    xc = x.reshape(-1, depth).astype(np.float64) - p.input_zero_point
    acc = np.rint(xc @ call.cache["w"]).astype(np.int64)
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    requantize = multiply_by_quantized_multiplier_int64 if p.wide \
        else multiply_by_quantized_multiplier
    out = requantize(acc, p.multipliers, p.shifts) + p.output_zero_point
    return [np.clip(out, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


@register("FULLY_CONNECTED", FLOAT)
def fully_connected_float(call: KernelCall) -> list[np.ndarray]:
    x, w = call.values[0], call.values[1]
    bias = call.values[2] if len(call.values) > 2 else None
    acc = x.reshape(-1, w.shape[1]).astype(np.float64) @ w.astype(np.float64).T
    if bias is not None:
        acc = acc + bias
    return [apply_float_activation(acc, call.op.fused_activation).astype(np.float32)]

