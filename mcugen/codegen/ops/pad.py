"""PAD and PADV2: fill the output with the pad value, then copy the input into it (one
strided 4-D byte copy whose start and strides come from prepare_pad)."""

from __future__ import annotations

from ...ops.pad import prepare_pad
from ..context import (LoweringContext, at, dims4, element_ctype, element_value, lead,
                       strided_copies, strides)
from ..lowering import lowering


def _pad(ctx: LoweringContext, op) -> dict:
    p = prepare_pad(ctx.graph, op)
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    n_lead = lead(len(x.shape))
    before = [0] * n_lead + list(p.before)
    out_strides = strides(dims4(y.shape))
    offset = sum(b * s for b, s in zip(before, out_strides))
    ctype = element_ctype(ctx, op.outputs[0])
    fill = {"size": y.size, "value": element_value(ctype, p.pad_value),
            "output": ctx.ptr(op.outputs[0], ctype)}
    return strided_copies([{"input": ctx.ptr(op.inputs[0], ctype),
                            "in_strides": strides(dims4(x.shape)),
                            "counts": list(dims4(x.shape)),
                            "output": at(ctx, op.outputs[0], offset),
                            "out_strides": out_strides}], fill, ctype)


lowering("PAD", "PADV2")(_pad)
