"""PAD/PADV2, CONCATENATION, TRANSPOSE, STRIDED_SLICE as strided 4-D byte copies whose starts and
strides the host computes from the simulator's prepare functions; MEAN through its own kernel."""

from __future__ import annotations

import numpy as np

from ...sim.kernels.concat import prepare_concatenation
from ...sim.kernels.pad import prepare_pad
from ...sim.kernels.reduce import prepare_mean
from ...sim.kernels.strided_slice import prepare_strided_slice
from ...sim.kernels.transpose import prepare_transpose
from ..context import LoweringContext, dims4
from ..lowering import lowering


def _strides(shape4) -> list[int]:
    return [int(np.prod(shape4[k + 1:], dtype=np.int64)) for k in range(4)]


def _lead(n: int) -> int:
    """How many leading axes dims4 adds to a rank-n shape."""
    if n > 4:
        raise ValueError("tensors of rank above 4 are not generated")
    return 4 - n


def _int8(ctx: LoweringContext, op) -> None:
    for i in [t for t in op.inputs[:1]] + op.outputs:
        if ctx.tensor(i).dtype.name != "int8":
            raise ValueError("int8 tensors only")


def _at(ctx: LoweringContext, tensor: int, offset: int) -> str:
    return f"(((int8_t *)&arena[{ctx.plan.tensor_offset(tensor)}]) + {offset})"


def _copy(copies, fill=None) -> dict:
    return {"copies": copies, "fill": fill}


def _pad(ctx: LoweringContext, op) -> dict:
    _int8(ctx, op)
    p = prepare_pad(ctx.graph, op)
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    lead = _lead(len(x.shape))
    before = [0] * lead + list(p.before)
    out_strides = _strides(dims4(y.shape))
    offset = sum(b * s for b, s in zip(before, out_strides))
    fill = {"size": y.size, "value": int(p.pad_value), "output": ctx.ptr(op.outputs[0])}
    return _copy([{"input": ctx.ptr(op.inputs[0]), "in_strides": _strides(dims4(x.shape)),
                   "counts": list(dims4(x.shape)), "output": _at(ctx, op.outputs[0], offset),
                   "out_strides": out_strides}], fill)


def _concatenation(ctx: LoweringContext, op) -> dict:
    _int8(ctx, op)
    p = prepare_concatenation(ctx.graph, op)
    y = ctx.tensor(op.outputs[0])
    axis4 = p.axis + _lead(len(y.shape))
    out_strides = _strides(dims4(y.shape))
    copies, along = [], 0
    for i in op.inputs:
        shape4 = dims4(ctx.tensor(i).shape)
        copies.append({"input": ctx.ptr(i), "in_strides": _strides(shape4),
                       "counts": list(shape4), "out_strides": out_strides,
                       "output": _at(ctx, op.outputs[0], along * out_strides[axis4])})
        along += shape4[axis4]
    return _copy(copies)


def _transpose(ctx: LoweringContext, op) -> dict:
    _int8(ctx, op)
    perm = prepare_transpose(ctx.graph, op).perm
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    lead = _lead(len(x.shape))
    perm4 = list(range(lead)) + [lead + k for k in perm]
    in_strides = _strides(dims4(x.shape))
    return _copy([{"input": ctx.ptr(op.inputs[0]), "in_strides": [in_strides[k] for k in perm4],
                   "counts": list(dims4(y.shape)), "output": ctx.ptr(op.outputs[0]),
                   "out_strides": _strides(dims4(y.shape))}])


def _strided_slice(ctx: LoweringContext, op) -> dict:
    _int8(ctx, op)
    p = prepare_strided_slice(ctx.graph, op)
    x = ctx.tensor(op.inputs[0])
    lead = _lead(len(x.shape))
    in_strides = _strides(dims4(x.shape))
    counts = [1] * lead + [len(range(a, b, s)) for a, b, s in zip(p.starts, p.stops, p.strides)]
    starts = [0] * lead + list(p.starts)
    steps = [1] * lead + list(p.strides)
    start = sum(a * s for a, s in zip(starts, in_strides))
    return _copy([{"input": _at(ctx, op.inputs[0], start),
                   "in_strides": [s * k for s, k in zip(in_strides, steps)], "counts": counts,
                   "output": ctx.ptr(op.outputs[0]), "out_strides": _strides(counts)}])


def _mean(ctx: LoweringContext, op) -> dict:
    _int8(ctx, op)
    p = prepare_mean(ctx.graph, op)
    x = ctx.tensor(op.inputs[0])
    lead = _lead(len(x.shape))
    return {"p": p, "in_dims": dims4(x.shape),
            "reduce": [1 if (k - lead) in p.axes else 0 for k in range(4)],
            "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0])}


for _opcode in ("PAD", "PADV2"):
    lowering(_opcode, "copy")(_pad)
lowering("CONCATENATION", "copy")(_concatenation)
lowering("TRANSPOSE", "copy")(_transpose)
lowering("STRIDED_SLICE", "copy")(_strided_slice)
lowering("MEAN", "mean")(_mean)
