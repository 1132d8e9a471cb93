"""FULLY_CONNECTED (TFLM reference_integer_ops::FullyConnected / FullyConnectedPerChannel and the
float reference). The input is flattened to (batches, accum_depth) where accum_depth is the
weights' second dimension; keep_num_dims only changes the output's shape, which the executor
takes from the output tensor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...fixedpoint import multiply_by_quantized_multiplier, quantize_multipliers
from ...model.graph import Graph, Operator
from ..common import (activation_range_quantized, apply_float_activation, effective_scale,
                      scale_of, zero_point_of)
from ..registry import FLOAT, QUANT, KernelCall, register


@dataclass
class FullyConnectedParams:
    input_zero_point: int
    filter_zero_point: int
    output_zero_point: int
    multipliers: np.ndarray    # int32: one entry per tensor, or one per output channel
    shifts: np.ndarray
    per_channel: bool
    act_min: int
    act_max: int


def prepare_fully_connected(graph: Graph, op: Operator) -> FullyConnectedParams:
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    mult, shift = quantize_multipliers(effective_scale(scale_of(x), w.quant.scale, scale_of(y)))
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    return FullyConnectedParams(zero_point_of(x), int(w.quant.zero_point[0]), zero_point_of(y),
                                mult, shift, w.quant.scale.size > 1, act_min, act_max)


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
    out = multiply_by_quantized_multiplier(acc, p.multipliers, p.shifts) + p.output_zero_point
    return [np.clip(out, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


@register("FULLY_CONNECTED", FLOAT)
def fully_connected_float(call: KernelCall) -> list[np.ndarray]:
    x, w = call.values[0], call.values[1]
    bias = call.values[2] if len(call.values) > 2 else None
    acc = x.reshape(-1, w.shape[1]).astype(np.float64) @ w.astype(np.float64).T
    if bias is not None:
        acc = acc + bias
    return [apply_float_activation(acc, call.op.fused_activation).astype(np.float32)]
