"""TRANSPOSE: one strided 4-D byte copy reading the input in the permuted order."""

from __future__ import annotations

from ...ops.transpose import prepare_transpose
from ..context import LoweringContext, element_ctype, dims4, lead, strided_copies, strides
from ..lowering import lowering


def _transpose(ctx: LoweringContext, op) -> dict:
    perm = prepare_transpose(ctx.graph, op).perm
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    n_lead = lead(len(x.shape))
    perm4 = list(range(n_lead)) + [n_lead + k for k in perm]
    in_strides = strides(dims4(x.shape))
    ctype = element_ctype(ctx, op.outputs[0])
    return strided_copies([{"input": ctx.ptr(op.inputs[0], ctype),
                            "in_strides": [in_strides[k] for k in perm4],
                            "counts": list(dims4(y.shape)),
                            "output": ctx.ptr(op.outputs[0], ctype),
                            "out_strides": strides(dims4(y.shape))}], ctype=ctype)


lowering("TRANSPOSE")(_transpose)
