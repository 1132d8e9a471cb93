"""AVERAGE_POOL_2D and MAX_POOL_2D: geometry from the simulator's prepare_pool."""

from __future__ import annotations

from ...ops.pooling import prepare_pool
from ..context import LoweringContext, dims4
from ..lowering import lowering


def _pool(ctx: LoweringContext, op) -> dict:
    return {"p": prepare_pool(ctx.graph, op),
            "in_dims": dims4(ctx.tensor(op.inputs[0]).shape),
            "out_dims": dims4(ctx.tensor(op.outputs[0]).shape),
            "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0]),
            "scratch": ctx.scratch(op.index)}


lowering("AVERAGE_POOL_2D", "MAX_POOL_2D")(_pool)
