"""LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH.

int8: functions of one int8 value, so the C code is a table lookup and the table is the
simulator's own (its lut_<op> computes TFLM's integer arithmetic on all 256 inputs): bit-exact by
construction, and one load per element. int16 (16x8): a 65536-entry table would cost 128 KB of
flash, so the C kernels compute TFLM's int16 arithmetic from the constants the simulator's
tables are built from (prepare_relu, prepare_relu6, prepare_leaky_relu, prepare_sigmoid16;
LOGISTIC and TANH read TFLM's 256-entry sigmoid table, emitted from mcugen/fixedpoint.py).
float32 (a float island's RELU, RELU6, LEAKY_RELU, HARD_SWISH): the portable float kernels;
float LOGISTIC and TANH have none (TFLM's call the C library's exp: no bit-exact C)."""

from __future__ import annotations

import numpy as np

from ... import fixedpoint as fx
from ...ops import activations
from ..context import LoweringContext, float_literal
from ..lowering import lowering

_TABLES = {"LOGISTIC": activations.lut_logistic, "TANH": activations.lut_tanh,
           "RELU": activations.lut_relu, "RELU6": activations.lut_relu6,
           "LEAKY_RELU": activations.lut_leaky_relu, "HARD_SWISH": activations.lut_hard_swish}


def _s16(ctx: LoweringContext, op) -> dict:
    """The int16 kernel's call: function name and arguments after (size, input)."""
    g = ctx.graph
    if op.opcode == "RELU":
        p = activations.prepare_relu(g, op)
        return {"fn": "mcugen_relu_s16",
                "args": [p.output_multiplier, p.output_shift, p.act_min, p.act_max]}
    if op.opcode == "RELU6":
        p = activations.prepare_relu6(g, op)
        return {"fn": "mcugen_clamp_s16", "args": [p.zero, p.six]}
    if op.opcode == "LEAKY_RELU":
        p = activations.prepare_leaky_relu(g, op)
        return {"fn": "mcugen_leaky_relu_s16",
                "args": [p.output_multiplier_identity, p.output_shift_identity,
                         abs(p.output_multiplier_alpha), p.output_shift_alpha,
                         int(p.output_multiplier_alpha < 0)]}
    p = activations.prepare_sigmoid16(g, op)
    table = ctx.const("sigmoid_table_u16", fx.SIGMOID_TABLE_UINT16.astype(np.uint16),
                      "uint16_t", comment="TFLM's sigmoid_table_uint16: sigmoid(i/24), 0.16")
    return {"fn": f"mcugen_{op.opcode.lower()}_s16",
            "args": [p.input_multiplier, p.input_left_shift, table]}


def _f32(ctx: LoweringContext, op) -> dict:
    """The float32 kernel's call: function name and arguments after (size, input)."""
    args = [float_literal(op.options.get("alpha", 0.0))] if op.opcode == "LEAKY_RELU" else []
    return {"fn": f"mcugen_{op.opcode.lower()}_f32", "args": args}


def _lut(ctx: LoweringContext, op) -> dict:
    y = ctx.tensor(op.outputs[0])
    if y.dtype == np.float32:
        return {"size": y.size, "input": ctx.ptr(op.inputs[0], "float"),
                "output": ctx.ptr(op.outputs[0], "float"), "call": _f32(ctx, op)}
    if y.dtype == np.int16:
        activations.int16_zero_points(ctx.graph, op)
        return {"size": y.size, "input": ctx.ptr(op.inputs[0], "int16_t"),
                "output": ctx.ptr(op.outputs[0], "int16_t"), "call": _s16(ctx, op)}
    table = _TABLES[op.opcode](ctx.graph, op)
    return {"size": y.size, "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0]),
            "call": None,
            "table": ctx.const(f"op{op.index}_table", table,
                               comment=f"{op.opcode} of every int8 input, -128 first")}


lowering(*_TABLES)(_lut)
