"""CONV_2D and DEPTHWISE_CONV_2D: constants from prepare_conv; for mcugen's own kernels the
weights are laid out in the order the inner loops read them and the input offset is folded into
the bias (templates/kernels/mcugen/mcugen_fast.h)."""

from __future__ import annotations

import numpy as np

from ...ops.conv import prepare_conv, row_length, rows_are_direct
from ...ops.fast import dead_channel_outputs
from ..context import LoweringContext, dims4, fast_constants, requantization_table
from ..lowering import lowering


def _common(ctx: LoweringContext, op) -> dict:
    p = prepare_conv(ctx.graph, op)
    x, w = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    y = ctx.tensor(op.outputs[0])
    s16 = x.dtype == np.int16
    act = "int16_t" if s16 else "int8_t"
    params = {
        "p": p, "in_dims": dims4(x.shape), "filter_dims": dims4(w.shape),
        "out_dims": dims4(y.shape), "input": ctx.ptr(op.inputs[0], act),
        "output": ctx.ptr(op.outputs[0], act), "scratch": ctx.scratch(op.index), "s16": s16,
    }
    if ctx.backend != "mcugen":
        return {**params, **ctx.weighted_constants(op, p)}
    if op.opcode == "DEPTHWISE_CONV_2D":
        return {**params, **_fast_depthwise(ctx, op, p)}
    k, k4 = row_length(ctx.graph, op)
    rows = w.data.reshape(w.shape[0], k)
    return {**params, "k": k, "k4": k4, "direct": int(rows_are_direct(ctx.graph, op)),
            "pixels": y.size // y.shape[3],
            **fast_constants(ctx, op, p, rows, k4, y.size // y.shape[3])}


def _fast_depthwise(ctx: LoweringContext, op, p) -> dict:
    """Weights [1, KH, KW, C] -> per group of 4 channels, per tap, int16 pairs [c0,c2],[c1,c3]."""
    w = ctx.tensor(op.inputs[1])
    kh, kw, c = w.shape[1], w.shape[2], w.shape[3]
    taps = w.data.reshape(kh, kw, c // 4, 4).astype(np.int64).transpose(2, 0, 1, 3)
    lo = taps[..., [0, 1]] & 0xFFFF                    # c0, c1 in the low halves
    hi = taps[..., [2, 3]] & 0xFFFF                    # c2, c3 in the high halves
    packed = (lo | (hi << 16)).astype(np.uint32).reshape(-1)
    bias = ctx.graph.tensors[op.inputs[2]].data.astype(np.int64) \
        if len(op.inputs) > 2 and op.inputs[2] >= 0 else np.zeros(c, np.int64)
    tag = f"op{op.index}"
    offset = (-p.input_zero_point) & 0xFFFF
    return {
        "weights": ctx.const(f"{tag}_dw_weights", packed, "uint32_t",
                             comment="int16 weight pairs [c0,c2],[c1,c3] per 4 channels, per tap"),
        "bias": ctx.const(f"{tag}_bias", bias.astype(np.int32)),
        "rq": requantization_table(ctx, op, p.multipliers, p.shifts, c, p.output_zero_point,
                                   dead_channel_outputs(np.moveaxis(w.data, 3, 0), bias,
                                                        p.multipliers, p.shifts,
                                                        p.output_zero_point, p.act_min,
                                                        p.act_max)),
        "offset_x2": f"0x{offset | (offset << 16):08x}u",
    }


@lowering("CONV_2D")
def conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)


@lowering("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)
