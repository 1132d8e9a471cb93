"""SOFTMAX int8 → int8: constants from the simulator's prepare_softmax."""

from __future__ import annotations

from ...ops.softmax import prepare_softmax
from ..context import LoweringContext
from ..lowering import lowering


@lowering("SOFTMAX")
def softmax(ctx: LoweringContext, op) -> dict:
    x = ctx.tensor(op.inputs[0])
    depth = x.shape[-1]
    return {"p": prepare_softmax(ctx.graph, op), "rows": x.size // depth, "depth": depth,
            "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0])}
