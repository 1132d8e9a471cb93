"""ADD, SUB, MUL, MAXIMUM, MINIMUM: constants from the simulator's prepare functions. The portable
kernels broadcast; CMSIS-NN's arm_elementwise_add_s8 serves ADD of equal shapes (the record's
per-instance check sends a broadcasting ADD to the portable kernel). Inside a float island the
portable float32 kernels take the layer, with TFLM's activation range as the clamp."""

from __future__ import annotations

import numpy as np

from ...ops.common import float_activation_range
from ...ops.elementwise import add_tables, fused_add, prepare_add, prepare_mul, prepare_sub
from ...ops.fast import requantization_row
from ..context import LoweringContext, dims4, float_literal
from ..lowering import lowering

_PREPARE = {"ADD": prepare_add, "SUB": prepare_sub, "MUL": prepare_mul}
_FUNCTION = {"ADD": "add", "SUB": "sub", "MUL": "mul", "MAXIMUM": "maximum",
             "MINIMUM": "minimum"}


def _operand(ctx: LoweringContext, op, position: int, ctype: str = "int8_t") -> str:
    """An input's bytes: the arena for an activation, weights.c for a constant operand (a
    converter's BiasAdd written as ADD with a constant, e.g. Keras Conv1D)."""
    t = ctx.tensor(op.inputs[position])
    if t.is_constant:
        return ctx.const(f"op{op.index}_operand{position}", np.asarray(t.data).astype(t.dtype),
                         "int8_t" if t.dtype == np.int8 else None)
    return ctx.ptr(op.inputs[position], ctype)


def _binary(ctx: LoweringContext, op) -> dict:
    a, b, y = (ctx.tensor(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    prepare = _PREPARE.get(op.opcode)
    if ctx.backend == "mcugen":
        p = prepare(ctx.graph, op)
        table_a, table_b = add_tables(ctx.graph, op)
        tag = f"op{op.index}"
        if fused_add(ctx.graph, op):
            s = -p.output_shift
            return {"p": p, "size": y.size, "a": _operand(ctx, op, 0), "b": _operand(ctx, op, 1),
                    "output": ctx.ptr(op.outputs[0]), "fused": 1,
                    "table_a": ctx.const(f"{tag}_table_a2", (2 * table_a).astype(np.int32),
                                         comment="input a rescaled and doubled, a = -128 .. 127"),
                    "table_b": ctx.const(f"{tag}_table_b2", (2 * table_b).astype(np.int32),
                                         comment="input b rescaled and doubled (negated for SUB)"),
                    "m": p.output_multiplier, "s": s,
                    "rc": ((1 << (s - 1)) + p.output_offset * (1 << s)) & 0xFFFFFFFF,
                    "clamp": int(p.act_min > -128 or p.act_max < 127)}
        return {"p": p, "size": y.size, "fused": 0, "a": _operand(ctx, op, 0),
                "b": _operand(ctx, op, 1),
                "output": ctx.ptr(op.outputs[0]),
                "table_a": ctx.const(f"{tag}_table_a", table_a.astype(np.int32),
                                     comment="input a rescaled, for a = -128 .. 127"),
                "table_b": ctx.const(f"{tag}_table_b", table_b.astype(np.int32),
                                     comment="input b rescaled (negated for SUB)"),
                "rq": requantization_row(p.output_multiplier, p.output_shift, p.output_offset)}
    common = {"function": _FUNCTION[op.opcode], "a_dims": dims4(a.shape),
              "b_dims": dims4(b.shape), "out_dims": dims4(y.shape), "size": y.size}
    if y.dtype == np.float32:
        clamp = []
        if op.opcode in _PREPARE:
            clamp = [float_literal(v) for v in float_activation_range(op.fused_activation)]
        return {**common, "p": None, "suffix": "f32", "clamp": clamp,
                "a": _operand(ctx, op, 0, "float"), "b": _operand(ctx, op, 1, "float"),
                "output": ctx.ptr(op.outputs[0], "float")}
    s16 = y.dtype == np.int16
    act = "int16_t" if s16 else "int8_t"
    return {"p": prepare(ctx.graph, op) if prepare else None, "function": _FUNCTION[op.opcode],
            "suffix": "s16" if s16 else "s8", "clamp": [],
            "a_dims": dims4(a.shape), "b_dims": dims4(b.shape), "out_dims": dims4(y.shape),
            "size": y.size, "a": _operand(ctx, op, 0, act), "b": _operand(ctx, op, 1, act),
            "output": ctx.ptr(op.outputs[0], act), "s16": s16}


lowering("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM")(_binary)
