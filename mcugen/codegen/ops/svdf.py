"""SVDF: the integer SVDF's constants (prepare_svdf: two multipliers, zero points) as one const
``mcugen_svdf_params_t`` per layer; feature and time weights and the bias go to weights.c. The
activation state is a variable tensor in the plan's persistent region, updated in place."""

from __future__ import annotations

import numpy as np

from ...ops.svdf import BIAS, INPUT, STATE, WEIGHTS_FEATURE, WEIGHTS_TIME, prepare_svdf
from ...plan.scratch import variant
from ..context import LoweringContext
from ..lowering import lowering


@lowering("SVDF")
def svdf(ctx: LoweringContext, op) -> dict:
    p = prepare_svdf(ctx.graph, op)
    tag = f"op{op.index}"
    wf, wt = ctx.tensor(op.inputs[WEIGHTS_FEATURE]), ctx.tensor(op.inputs[WEIGHTS_TIME])
    b = ctx.tensor(op.inputs[BIAS])
    state = ctx.tensor(op.inputs[STATE])
    scratch, size = ctx.scratch(op.index)
    a_bytes = 4 * p.batch * p.n_filter
    b_bytes = 4 * p.batch * p.n_unit
    mve = ctx.backend == "cmsis-nn" and variant(ctx.cpu) == "mve"
    return {
        "mve": mve, "scratch": scratch, "buffer_a": 0, "buffer_b": a_bytes,
        "sums": a_bytes + b_bytes, "sums_bytes": 4 * p.n_filter if mve else 0,
        "p": p, "state_bits": 8 * state.dtype.itemsize,
        "weights_feature": ctx.const(f"{tag}_weights_feature", wf.data,
                                     comment=f"{wf.name} {list(wf.shape)}"),
        "weights_time": ctx.const(f"{tag}_weights_time", wt.data,
                                  comment=f"{wt.name} {list(wt.shape)}"),
        "bias": ctx.const(f"{tag}_bias", b.data.astype(np.int32), comment=b.name),
        "input": ctx.ptr(op.inputs[INPUT]), "output": ctx.ptr(op.outputs[0]),
        "state": ctx.ptr(op.inputs[STATE], "void"),
    }
