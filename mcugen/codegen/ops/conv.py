"""CONV_2D and DEPTHWISE_CONV_2D: constants from prepare_conv; for mcugen's own kernels the
weights are laid out in the order the inner loops read them and the input offset is folded into
the bias (templates/kernels/mcugen/mcugen_fast.h)."""

from __future__ import annotations

import numpy as np

from ...ops.conv import (conv_rows, fused_conv, fused_depthwise, prepare_conv,
                         prepare_transpose_conv, row_length, rows_are_direct,
                         single_channel_depthwise)
from ...ops.fast import dead_channel_outputs, fused_requantization_row
from ..context import (LoweringContext, dims4, fast_constants, fused_constants,
                       requantization_table)
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
        "as_conv": single_channel_depthwise(ctx.graph, op), "transpose": False,
    }
    if ctx.backend != "mcugen":
        return {**params, **ctx.weighted_constants(op, p)}
    if op.opcode == "DEPTHWISE_CONV_2D" and not single_channel_depthwise(ctx.graph, op):
        return {**params, **_fast_depthwise(ctx, op, p)}
    k, k4 = row_length(ctx.graph, op)
    rows = conv_rows(ctx.graph, op)
    params = {**params, "k": k, "k4": k4, "direct": int(rows_are_direct(ctx.graph, op)),
              "pixels": y.size // y.shape[3]}
    if fused_conv(ctx.graph, op):
        return {**params, "fused": 1, **fused_constants(ctx, op, p, rows, k4)}
    return {**params, "fused": 0, **fast_constants(ctx, op, p, rows, k4, y.size // y.shape[3])}


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
    dead = dead_channel_outputs(np.moveaxis(w.data, 3, 0), bias, p.multipliers, p.shifts,
                                p.output_zero_point, p.act_min, p.act_max)
    common = {"offset_x2": f"0x{offset | (offset << 16):08x}u"}
    if fused_depthwise(ctx.graph, op):
        # per group: 4 doubled biases, 9 taps x 2 doubled weight-pair words, {m, rc, s} x 4
        doubled = (2 * taps.reshape(c // 4, 9, 4)) & 0xFFFF
        pairs = np.stack([doubled[..., 0] | (doubled[..., 2] << 16),
                          doubled[..., 1] | (doubled[..., 3] << 16)], axis=-1)
        mult = np.resize(np.asarray(p.multipliers, np.int64), c)
        shift = np.resize(np.asarray(p.shifts, np.int64), c)
        rq = np.array([fused_requantization_row(int(mult[k]), int(shift[k]),
                                                p.output_zero_point, dead.get(k),
                                                bool(bias[k] < 0)) for k in range(c)],
                      np.int64).reshape(c // 4, 12)
        stream = np.concatenate([2 * bias.reshape(c // 4, 4), pairs.reshape(c // 4, 18), rq],
                                axis=1).ravel() & 0xFFFFFFFF
        name = ctx.const(f"{tag}_dw3x3", stream.astype(np.uint32), "uint32_t",
                         comment="per 4 channels: doubled biases, doubled weight pairs per tap, "
                                 "{m, rc, s} x 4")
        clamp = p.act_min > -128 or p.act_max < 127
        x = ctx.tensor(op.inputs[0])
        line = x.shape[2] * c
        taps = [ky * line + kx * c for ky in range(3) for kx in range(3)]
        step = p.stride_w * c
        row = "NULL"
        if max(taps) <= 4095 and step <= 65535:    # LDR's immediate offset, MOVW's immediate
            groups = c // 4
            # up to 16 groups unrolled (no loop test, channel offsets in the immediates)
            unrolled = groups <= 16 and max(taps) + 4 * (groups - 1) <= 4095
            row = ctx.kernel(f"dw3x3_row_{line}_{c}_{step}{'_clamp' if clamp else ''}",
                             "ops/mcugen/_dw3x3_row.c.j2", taps=taps, step=step, channels=c,
                             clamp=clamp, groups=groups, unrolled=unrolled)
        return {**common, "fused": 1, "stream": name, "stream_end": f"{name} + {stream.size}",
                "clamp": int(clamp), "row": row}
    return {
        **common, "fused": 0,
        "weights": ctx.const(f"{tag}_dw_weights", packed, "uint32_t",
                             comment="int16 weight pairs [c0,c2],[c1,c3] per 4 channels, per tap"),
        "bias": ctx.const(f"{tag}_bias", bias.astype(np.int32)),
        "rq": requantization_table(ctx, op, p.multipliers, p.shifts, c, p.output_zero_point,
                                   dead),
    }


@lowering("CONV_2D")
def conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)


@lowering("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(ctx: LoweringContext, op) -> dict:
    return _common(ctx, op)


@lowering("TRANSPOSE_CONV")
def transpose_conv(ctx: LoweringContext, op) -> dict:
    """Inputs: output_shape (constant), weights [C_OUT][KH][KW][C_IN], data, optional bias (int32
    for int8; int64, or int16 widened to the int64 TFLM converts it to, for 16x8)."""
    p = prepare_transpose_conv(ctx.graph, op)
    w, x = ctx.tensor(op.inputs[1]), ctx.tensor(op.inputs[2])
    y = ctx.tensor(op.outputs[0])
    s16 = x.dtype == np.int16
    act = "int16_t" if s16 else "int8_t"
    tag = f"op{op.index}"
    bias = ctx.tensor(op.inputs[3]) if len(op.inputs) > 3 and op.inputs[3] >= 0 else None
    if bias is None:
        named = "NULL"
    else:
        named = ctx.const(f"{tag}_bias", bias.data.astype(np.int64 if s16 else np.int32),
                          comment=bias.name)
    return {
        "p": p, "s16": s16, "transpose": True,
        "in_dims": dims4(x.shape), "filter_dims": dims4(w.shape), "out_dims": dims4(y.shape),
        "input": ctx.ptr(op.inputs[2], act), "output": ctx.ptr(op.outputs[0], act),
        "filter": ctx.const(f"{tag}_weights", w.data, comment=f"{w.name} {list(w.shape)}"),
        "multiplier": ctx.const(f"{tag}_multiplier", p.multipliers, "int32_t"),
        "shift": ctx.const(f"{tag}_shift", p.shifts, "int32_t"),
        "bias": named, "bias16": "{ %s, NULL, 1 }" % named,
    }
