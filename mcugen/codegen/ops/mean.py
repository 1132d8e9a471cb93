"""MEAN over any set of axes of an int8 tensor of rank <= 4, through mcugen's kernel."""

from __future__ import annotations

from ...ops.mean import prepare_mean
from ..context import LoweringContext, dims4, lead
from ..lowering import lowering


def _mean(ctx: LoweringContext, op) -> dict:
    p = prepare_mean(ctx.graph, op)
    x = ctx.tensor(op.inputs[0])
    n_lead = lead(len(x.shape))
    return {"p": p, "in_dims": dims4(x.shape),
            "reduce": [1 if (k - n_lead) in p.axes else 0 for k in range(4)],
            "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0])}


lowering("MEAN")(_mean)
