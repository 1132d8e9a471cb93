"""Binary elementwise operators: ADD, SUB, MUL, MAXIMUM, MINIMUM.

QUANT kernels (int8, and int16 with zero points 0 and ADD/SUB's headroom shift 15) follow TFLM
(add_common.cc, sub_common.cc, mul_common.cc, maximum_minimum.cc and
the reference_integer_ops / reference_ops element functions). TFLM's BroadcastAdd6DSlow-style
broadcast loops apply the same per-element function at broadcast index pairs, which numpy
broadcasting reproduces exactly (TFLM requires broadcastable shapes, as numpy does).
FLOAT kernels compute in float32 like the reference float kernels."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedOperatorError
from ...fixedpoint import multiply_by_quantized_multiplier
from ...ops.elementwise import AddParams, prepare_add, prepare_mul, prepare_sub
from ..common import apply_float_activation
from ..registry import FLOAT, QUANT, KernelCall, register


def _params(call: KernelCall, prepare):
    p = call.cache.get("params")
    if p is None:
        dtypes = {str(t.dtype) for t in call.inputs + call.outputs}
        if dtypes not in ({"int8"}, {"int16"}):
            raise UnsupportedOperatorError(call.op.opcode, call.op.index, call.graph.name,
                                           stage=f"simulator: {'/'.join(sorted(dtypes))}; "
                                                 "int8 or int16 throughout")
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

