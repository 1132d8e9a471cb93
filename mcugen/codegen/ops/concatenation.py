"""CONCATENATION: one strided 4-D byte copy per input, placed along the axis."""

from __future__ import annotations

from ...ops.concatenation import prepare_concatenation
from ..context import LoweringContext, element_ctype, at, dims4, lead, strided_copies, strides
from ..lowering import lowering


def _concatenation(ctx: LoweringContext, op) -> dict:
    p = prepare_concatenation(ctx.graph, op)
    y = ctx.tensor(op.outputs[0])
    axis4 = p.axis + lead(len(y.shape))
    out_strides = strides(dims4(y.shape))
    copies, along = [], 0
    for i in op.inputs:
        shape4 = dims4(ctx.tensor(i).shape)
        copies.append({"input": ctx.ptr(i, element_ctype(ctx, i)), "in_strides": strides(shape4),
                       "counts": list(shape4), "out_strides": out_strides,
                       "output": at(ctx, op.outputs[0], along * out_strides[axis4])})
        along += shape4[axis4]
    return strided_copies(copies, ctype=element_ctype(ctx, op.outputs[0]))


lowering("CONCATENATION")(_concatenation)
