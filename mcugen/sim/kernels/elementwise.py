"""ADD (TFLM add.cc + reference_integer_ops add, with numpy broadcasting standing in for
BroadcastAdd6DSlow, which computes the same function per element; and the float reference)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ...model.graph import Graph, Operator
from ..common import activation_range_quantized, apply_float_activation, scale_of, zero_point_of
from ..registry import FLOAT, QUANT, KernelCall, register


@dataclass
class AddParams:
    input1_offset: int      # -zero point
    input2_offset: int
    output_offset: int      # +zero point
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


def prepare_add(graph: Graph, op: Operator) -> AddParams:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    left_shift = 20
    sa, sb, sy = (float(np.float32(scale_of(t))) for t in (a, b, y))
    twice_max_input_scale = 2.0 * max(sa, sb)
    m1, s1 = quantize_multiplier(sa / twice_max_input_scale)
    m2, s2 = quantize_multiplier(sb / twice_max_input_scale)
    mo, so = quantize_multiplier(twice_max_input_scale / ((1 << left_shift) * sy))
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    return AddParams(-zero_point_of(a), -zero_point_of(b), zero_point_of(y), left_shift,
                     m1, s1, m2, s2, mo, so, act_min, act_max)


@register("ADD", QUANT)
def add(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault("params",
                                                          prepare_add(call.graph, call.op))
    a = (call.values[0].astype(np.int64) + p.input1_offset) << p.left_shift
    b = (call.values[1].astype(np.int64) + p.input2_offset) << p.left_shift
    sa = multiply_by_quantized_multiplier(a, p.input1_multiplier, p.input1_shift)
    sb = multiply_by_quantized_multiplier(b, p.input2_multiplier, p.input2_shift)
    out = multiply_by_quantized_multiplier(sa + sb, p.output_multiplier,
                                           p.output_shift) + p.output_offset
    return [np.clip(out, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


@register("ADD", FLOAT)
def add_float(call: KernelCall) -> list[np.ndarray]:
    out = call.values[0].astype(np.float64) + call.values[1].astype(np.float64)
    return [apply_float_activation(out, call.op.fused_activation).astype(np.float32)]
