"""RESHAPE, SQUEEZE, EXPAND_DIMS: the planner gives the output its input's bytes, so nothing runs;
if a plan ever places them apart, the bytes are copied."""

from __future__ import annotations

from ..context import LoweringContext
from ..lowering import lowering


def _reshape(ctx: LoweringContext, op) -> dict:
    src, dst = op.inputs[0], op.outputs[0]
    same = ctx.plan.tensor_offset(src) == ctx.plan.tensor_offset(dst)
    return {"aliased": same, "input": ctx.ptr(src, "uint8_t"), "output": ctx.ptr(dst, "uint8_t"),
            "nbytes": ctx.tensor(dst).nbytes}


lowering("RESHAPE", "SQUEEZE", "EXPAND_DIMS")(_reshape)
