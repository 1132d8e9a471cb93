"""FULLY_CONNECTED: constants from the simulator's prepare_fully_connected."""

from __future__ import annotations

import numpy as np

from ...ops.fully_connected import prepare_fully_connected
from ...plan.scratch import variant
from ...ops.conv import fused_conv
from ..context import LoweringContext, fast_constants, fused_constants
from ..lowering import lowering


@lowering("FULLY_CONNECTED")
def fully_connected(ctx: LoweringContext, op) -> dict:
    p = prepare_fully_connected(ctx.graph, op)
    x, w = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    depth, out_depth = w.shape[1], w.shape[0]
    bias = op.inputs[2] if len(op.inputs) > 2 and op.inputs[2] >= 0 else -1
    tag = f"op{op.index}"
    kernel_sums, kernel_sums_bytes = "NULL", 0
    if ctx.backend == "cmsis-nn" and variant(ctx.cpu) == "mve":
        # CMSIS-NN's Helium FC reads bias + input_offset * (row sum + depth * filter_offset)
        # from its context: constant, so computed here and kept in flash, as TFLM does in Prepare
        w64 = w.data.astype(np.int64)
        sums = (w64.sum(axis=1) - depth * p.filter_zero_point) * -p.input_zero_point
        if bias >= 0:
            sums = sums + ctx.tensor(bias).data.astype(np.int64)
        kernel_sums = "(void *)" + ctx.const(f"{tag}_kernel_sums", sums.astype(np.int32))
        kernel_sums_bytes = 4 * out_depth
    if ctx.backend == "mcugen":
        k4 = (depth + 3) // 4 * 4
        params = {"k": depth, "k4": k4, "pixels": x.size // depth, "out_depth": out_depth,
                  "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0]),
                  "scratch": ctx.scratch(op.index), "p": p}
        if fused_conv(ctx.graph, op):
            return {**params, "fused": 1, **fused_constants(ctx, op, p, w.data, k4)}
        return {**params, "fused": 0, **fast_constants(ctx, op, p, w.data, k4, x.size // depth)}
    s16 = x.dtype == np.int16
    act = "int16_t" if s16 else "int8_t"
    return {
        **ctx.weighted_constants(op, p),
        "kernel_sums": kernel_sums, "kernel_sums_bytes": kernel_sums_bytes,
        "p": p, "batches": x.size // depth, "depth": depth, "out_depth": out_depth,
        "input": ctx.ptr(op.inputs[0], act), "output": ctx.ptr(op.outputs[0], act),
        "scratch": ctx.scratch(op.index), "s16": s16,
    }
