"""MEAN over any set of axes of an int8 or int16 (16x8, zero points 0) tensor of rank <= 4,
through mcugen's kernel."""

from __future__ import annotations

import numpy as np

from ...ops.mean import prepare_mean
from ..context import LoweringContext, dims4, lead
from ..lowering import lowering


def _mean(ctx: LoweringContext, op) -> dict:
    p = prepare_mean(ctx.graph, op)
    x = ctx.tensor(op.inputs[0])
    n_lead = lead(len(x.shape))
    s16 = x.dtype == np.int16
    act = "int16_t" if s16 else "int8_t"
    return {"p": p, "in_dims": dims4(x.shape), "s16": s16,
            "reduce": [1 if (k - n_lead) in p.axes else 0 for k in range(4)],
            "input": ctx.ptr(op.inputs[0], act), "output": ctx.ptr(op.outputs[0], act)}


lowering("MEAN")(_mean)
