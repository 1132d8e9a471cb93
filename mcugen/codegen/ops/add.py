"""ADD, SUB, MUL, MAXIMUM, MINIMUM: constants from the simulator's prepare functions. The portable
kernels broadcast; CMSIS-NN's arm_elementwise_add_s8 serves ADD of equal shapes."""

from __future__ import annotations

from ...sim.kernels.elementwise import prepare_add, prepare_mul, prepare_sub
from ..context import LoweringContext, dims4
from ..lowering import lowering

_PREPARE = {"ADD": prepare_add, "SUB": prepare_sub, "MUL": prepare_mul}
_FUNCTION = {"ADD": "add", "SUB": "sub", "MUL": "mul", "MAXIMUM": "maximum",
             "MINIMUM": "minimum"}


def _binary(ctx: LoweringContext, op) -> dict:
    a, b, y = (ctx.tensor(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if a.dtype.name != "int8" or b.dtype.name != "int8" or y.dtype.name != "int8":
        raise ValueError("int8 tensors only")
    if ctx.kernels == "cmsis-nn" and op.opcode == "ADD" and not a.shape == b.shape == y.shape:
        raise ValueError("CMSIS-NN's arm_elementwise_add_s8 does not broadcast; use --kernels "
                         "portable")
    prepare = _PREPARE.get(op.opcode)
    return {"p": prepare(ctx.graph, op) if prepare else None, "function": _FUNCTION[op.opcode],
            "a_dims": dims4(a.shape), "b_dims": dims4(b.shape), "out_dims": dims4(y.shape),
            "size": y.size, "a": ctx.ptr(op.inputs[0]), "b": ctx.ptr(op.inputs[1]),
            "output": ctx.ptr(op.outputs[0])}


lowering("ADD", "binary", "portable")(_binary)
lowering("ADD", "add", "cmsis-nn")(_binary)
for _opcode in ("SUB", "MUL", "MAXIMUM", "MINIMUM"):
    lowering(_opcode, "binary")(_binary)
