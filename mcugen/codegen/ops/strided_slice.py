"""STRIDED_SLICE: one strided 4-D byte copy from the slice's start with its steps."""

from __future__ import annotations

from ...ops.strided_slice import prepare_strided_slice
from ..context import LoweringContext, element_ctype, at, dims4, lead, strided_copies, strides
from ..lowering import lowering


def _strided_slice(ctx: LoweringContext, op) -> dict:
    p = prepare_strided_slice(ctx.graph, op)
    x = ctx.tensor(op.inputs[0])
    n_lead = lead(len(x.shape))
    in_strides = strides(dims4(x.shape))
    counts = [1] * n_lead + [len(range(a, b, s)) for a, b, s in zip(p.starts, p.stops, p.strides)]
    starts = [0] * n_lead + list(p.starts)
    steps = [1] * n_lead + list(p.strides)
    start = sum(a * s for a, s in zip(starts, in_strides))
    ctype = element_ctype(ctx, op.outputs[0])
    return strided_copies([{"input": at(ctx, op.inputs[0], start),
                            "in_strides": [s * k for s, k in zip(in_strides, steps)],
                            "counts": counts, "output": ctx.ptr(op.outputs[0], ctype),
                            "out_strides": strides(counts)}], ctype=ctype)


lowering("STRIDED_SLICE")(_strided_slice)
