"""CONV_2D and DEPTHWISE_CONV_2D: constants from the simulator's prepare_conv."""

from __future__ import annotations

import numpy as np

from ...sim.kernels.conv import prepare_conv
from ..context import LoweringContext, dims4
from ..lowering import lowering


def _common(ctx: LoweringContext, op) -> dict:
    p = prepare_conv(ctx.graph, op)
    x, w = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    y = ctx.tensor(op.outputs[0])
    bias = op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] >= 0 else -1
    tag = f"op{op.index}"
    return {
        "p": p, "in_dims": dims4(x.shape), "filter_dims": dims4(w.shape),
        "out_dims": dims4(y.shape), "input": ctx.ptr(op.inputs[0]),
        "output": ctx.ptr(op.outputs[0]),
        "filter": ctx.const(f"{tag}_weights", w.data, comment=f"{w.name} {list(w.shape)}"),
        "bias": ctx.const(f"{tag}_bias", ctx.tensor(bias).data.astype(np.int32),
                          comment=ctx.tensor(bias).name) if bias >= 0 else "NULL",
        "multiplier": ctx.const(f"{tag}_multiplier", p.multipliers, "int32_t"),
        "shift": ctx.const(f"{tag}_shift", p.shifts, "int32_t"),
        "scratch": ctx.scratch(op.index),
    }


@lowering("CONV_2D", "conv")
def conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)


@lowering("DEPTHWISE_CONV_2D", "conv")
def depthwise_conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)
