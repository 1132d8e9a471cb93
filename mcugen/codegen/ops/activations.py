"""LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH: functions of one int8 value, so the C code
is a table lookup and the table is the simulator's own (its lut_<op> computes TFLM's integer
arithmetic on all 256 inputs): bit-exact by construction, and one load per element."""

from __future__ import annotations

from ...ops import activations
from ..context import LoweringContext
from ..lowering import lowering

_TABLES = {"LOGISTIC": activations.lut_logistic, "TANH": activations.lut_tanh,
           "RELU": activations.lut_relu, "RELU6": activations.lut_relu6,
           "LEAKY_RELU": activations.lut_leaky_relu, "HARD_SWISH": activations.lut_hard_swish}


def _lut(ctx: LoweringContext, op) -> dict:
    y = ctx.tensor(op.outputs[0])
    table = _TABLES[op.opcode](ctx.graph, op)
    return {"size": y.size, "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0]),
            "table": ctx.const(f"op{op.index}_table", table,
                               comment=f"{op.opcode} of every int8 input, -128 first")}


lowering(*_TABLES)(_lut)
