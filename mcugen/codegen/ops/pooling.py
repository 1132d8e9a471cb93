"""AVERAGE_POOL_2D and MAX_POOL_2D (int8, and int16 on the portable kernels): geometry from the
simulator's prepare_pool."""

from __future__ import annotations

import numpy as np

from ...ops.pooling import prepare_pool
from ..context import LoweringContext, dims4
from ..lowering import lowering


def _pool(ctx: LoweringContext, op) -> dict:
    s16 = ctx.tensor(op.inputs[0]).dtype == np.int16
    act = "int16_t" if s16 else "int8_t"
    return {"p": prepare_pool(ctx.graph, op),
            "in_dims": dims4(ctx.tensor(op.inputs[0]).shape),
            "out_dims": dims4(ctx.tensor(op.outputs[0]).shape),
            "input": ctx.ptr(op.inputs[0], act), "output": ctx.ptr(op.outputs[0], act),
            "scratch": ctx.scratch(op.index), "s16": s16}


lowering("AVERAGE_POOL_2D", "MAX_POOL_2D")(_pool)
