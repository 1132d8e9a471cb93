"""CONV_2D and DEPTHWISE_CONV_2D: constants from the simulator's prepare_conv."""

from __future__ import annotations

from ...ops.conv import prepare_conv
from ..context import LoweringContext, dims4
from ..lowering import lowering


def _common(ctx: LoweringContext, op) -> dict:
    p = prepare_conv(ctx.graph, op)
    x, w = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    y = ctx.tensor(op.outputs[0])
    return {
        "p": p, "in_dims": dims4(x.shape), "filter_dims": dims4(w.shape),
        "out_dims": dims4(y.shape), "input": ctx.ptr(op.inputs[0]),
        "output": ctx.ptr(op.outputs[0]), "scratch": ctx.scratch(op.index),
        **ctx.weighted_constants(op, p),
    }


@lowering("CONV_2D")
def conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)


@lowering("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)
