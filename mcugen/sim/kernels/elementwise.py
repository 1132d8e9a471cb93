"""Binary elementwise operators: ADD, SUB, MUL, MAXIMUM, MINIMUM.

QUANT kernels follow TFLM (add_common.cc, sub_common.cc, mul_common.cc, maximum_minimum.cc and
the reference_integer_ops / reference_ops element functions). TFLM's BroadcastAdd6DSlow-style
broadcast loops apply the same per-element function at broadcast index pairs, which numpy
broadcasting reproduces exactly (TFLM requires broadcastable shapes, as numpy does).
FLOAT kernels compute in float32 like the reference float kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import UnsupportedOperatorError
from ...fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ...model.graph import Graph, Operator
from ..common import activation_range_quantized, apply_float_activation, scale_of, zero_point_of
from ..registry import FLOAT, QUANT, KernelCall, register

INT8_LEFT_SHIFT = 20      # TFLM's headroom shift for int8 ADD/SUB (15 for int16)


@dataclass
class AddParams:
    """Constants of int8 ADD and SUB (same shape in TFLM: ArithmeticParams)."""
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


def _add_sub_params(op: Operator, a, b, y, real1: float, real2: float, real_out: float
                    ) -> AddParams:
    m1, s1 = quantize_multiplier(real1)
    m2, s2 = quantize_multiplier(real2)
    mo, so = quantize_multiplier(real_out)
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    return AddParams(-zero_point_of(a), -zero_point_of(b), zero_point_of(y), INT8_LEFT_SHIFT,
                     m1, s1, m2, s2, mo, so, act_min, act_max)


def prepare_add(graph: Graph, op: Operator) -> AddParams:
    """CalculateOpDataAdd: the scale arithmetic is in double."""
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    sa, sb, sy = (float(np.float32(scale_of(t))) for t in (a, b, y))
    twice_max_input_scale = 2.0 * max(sa, sb)
    return _add_sub_params(op, a, b, y, sa / twice_max_input_scale, sb / twice_max_input_scale,
                           twice_max_input_scale / ((1 << INT8_LEFT_SHIFT) * sy))


def prepare_sub(graph: Graph, op: Operator) -> AddParams:
    """CalculateOpDataSub. TFLM's source computes these ratios in float32 before widening, but
    the tflite-micro wheel (the oracle) reproduces ADD's double arithmetic instead: on scale
    sets where the two differ, its outputs match the double variant on every byte
    (tests/sim/test_elementwise_props.py::test_sub_scale_arithmetic_matches_tflm)."""
    return prepare_add(graph, op)


def _params(call: KernelCall, prepare):
    p = call.cache.get("params")
    if p is None:
        dtypes = {str(t.dtype) for t in call.inputs + call.outputs}
        if dtypes != {"int8"}:
            # int16 ADD/SUB use another headroom shift and zero-point rules in TFLM
            raise UnsupportedOperatorError(call.op.opcode, call.op.index, call.graph.name,
                                           stage=f"simulator: {'/'.join(sorted(dtypes))}; "
                                                 "int8 only")
        p = call.cache["params"] = prepare(call.graph, call.op)
    return p


def _add_sub(call: KernelCall, p: AddParams, sign: int) -> list[np.ndarray]:
    a = (call.values[0].astype(np.int64) + p.input1_offset) << p.left_shift
    b = (call.values[1].astype(np.int64) + p.input2_offset) << p.left_shift
    sa = multiply_by_quantized_multiplier(a, p.input1_multiplier, p.input1_shift)
    sb = multiply_by_quantized_multiplier(b, p.input2_multiplier, p.input2_shift)
    out = multiply_by_quantized_multiplier(sa + sign * sb, p.output_multiplier,
                                           p.output_shift) + p.output_offset
    return [np.clip(out, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


@register("ADD", QUANT)
def add(call: KernelCall) -> list[np.ndarray]:
    return _add_sub(call, _params(call, prepare_add), +1)


@register("SUB", QUANT)
def sub(call: KernelCall) -> list[np.ndarray]:
    return _add_sub(call, _params(call, prepare_sub), -1)


@dataclass
class MulParams:
    input1_offset: int
    input2_offset: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


def prepare_mul(graph: Graph, op: Operator) -> MulParams:
    """CalculateOpDataMul: real multiplier double(s1) * double(s2) / double(s_out)."""
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    sa, sb, sy = (float(np.float32(scale_of(t))) for t in (a, b, y))
    mult, shift = quantize_multiplier(sa * sb / sy)
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    return MulParams(-zero_point_of(a), -zero_point_of(b), zero_point_of(y), mult, shift,
                     act_min, act_max)


@register("MUL", QUANT)
def mul(call: KernelCall) -> list[np.ndarray]:
    p = _params(call, prepare_mul)
    product = ((call.values[0].astype(np.int64) + p.input1_offset)
               * (call.values[1].astype(np.int64) + p.input2_offset))
    out = multiply_by_quantized_multiplier(product, p.output_multiplier,
                                           p.output_shift) + p.output_offset
    return [np.clip(out, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


# MAXIMUM/MINIMUM compare raw quantized values (TFLM requires one quantization for all three).
@register("MAXIMUM", QUANT)
def maximum(call: KernelCall) -> list[np.ndarray]:
    return [np.maximum(call.values[0], call.values[1])]


@register("MINIMUM", QUANT)
def minimum(call: KernelCall) -> list[np.ndarray]:
    return [np.minimum(call.values[0], call.values[1])]


def _float_binary(call: KernelCall, fn) -> list[np.ndarray]:
    out = fn(call.values[0].astype(np.float32), call.values[1].astype(np.float32))
    return [apply_float_activation(out, call.op.fused_activation).astype(np.float32)]


@register("ADD", FLOAT)
def add_float(call: KernelCall) -> list[np.ndarray]:
    return _float_binary(call, np.add)


@register("SUB", FLOAT)
def sub_float(call: KernelCall) -> list[np.ndarray]:
    return _float_binary(call, np.subtract)


@register("MUL", FLOAT)
def mul_float(call: KernelCall) -> list[np.ndarray]:
    return _float_binary(call, np.multiply)


@register("MAXIMUM", FLOAT)
def maximum_float(call: KernelCall) -> list[np.ndarray]:
    return _float_binary(call, np.maximum)


@register("MINIMUM", FLOAT)
def minimum_float(call: KernelCall) -> list[np.ndarray]:
    return _float_binary(call, np.minimum)
