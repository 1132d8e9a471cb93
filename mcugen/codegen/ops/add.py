"""ADD: constants from the simulator's prepare_add."""

from __future__ import annotations

from ...sim.kernels.elementwise import prepare_add
from ..context import LoweringContext, dims4
from ..lowering import lowering


@lowering("ADD", "add")
def add(ctx: LoweringContext, op) -> dict:
    a, b, y = (ctx.tensor(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if ctx.kernels == "cmsis-nn" and not a.shape == b.shape == y.shape:
        raise ValueError("CMSIS-NN's arm_elementwise_add_s8 does not broadcast; use --kernels "
                         "portable")
    return {"p": prepare_add(ctx.graph, op), "a_dims": dims4(a.shape), "b_dims": dims4(b.shape),
            "out_dims": dims4(y.shape), "size": y.size, "same_shape": a.shape == b.shape == y.shape,
            "a": ctx.ptr(op.inputs[0]), "b": ctx.ptr(op.inputs[1]),
            "output": ctx.ptr(op.outputs[0])}
