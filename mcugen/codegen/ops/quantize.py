"""QUANTIZE between int8 tensors (requantization), e.g. where a model changes scale."""

from __future__ import annotations

from ...sim.kernels.quantize import prepare_requantize
from ..context import LoweringContext
from ..lowering import lowering


@lowering("QUANTIZE", "requantize", "portable")
def quantize(ctx: LoweringContext, op) -> dict:
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if x.dtype.kind == "f" or y.dtype.kind == "f" or x.dtype != y.dtype:
        raise ValueError("only int8 -> int8 QUANTIZE is generated")
    return {"p": prepare_requantize(ctx.graph, op), "size": y.size,
            "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0])}
