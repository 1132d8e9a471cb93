"""SOFTMAX int8 → int8, int8 → int16 and int16 → int16 on the portable kernels: constants (and the int16
tables) from the simulator's prepare_softmax."""

from __future__ import annotations

import numpy as np

from ...ops.softmax import prepare_softmax
from ..context import LoweringContext
from ..lowering import lowering


@lowering("SOFTMAX")
def softmax(ctx: LoweringContext, op) -> dict:
    x = ctx.tensor(op.inputs[0])
    depth = x.shape[-1]
    p = prepare_softmax(ctx.graph, op)
    if x.dtype == np.int16:
        return {"p": p, "rows": x.size // depth, "depth": depth, "s16": True,
                "exp_lut": ctx.const("softmax16_exp_lut", p.exp_lut,
                                     comment="exp on [-10, 0], TFLM LUTPopulateInt16"),
                "recip_lut": ctx.const("softmax16_one_over_one_plus_x_lut",
                                       p.one_over_one_plus_x_lut,
                                       comment="1 / (1 + x) on [0, 1], TFLM LUTPopulateInt16"),
                "input": ctx.ptr(op.inputs[0], "int16_t"),
                "output": ctx.ptr(op.outputs[0], "int16_t")}
    y = ctx.tensor(op.outputs[0])
    if y.dtype == np.int16:        # int8 -> int16: the same arithmetic, 16 output bits
        return {"p": p, "rows": x.size // depth, "depth": depth, "s16": False, "s8_s16": True,
                "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0], "int16_t")}
    return {"p": p, "rows": x.size // depth, "depth": depth, "s16": False, "s8_s16": False,
            "input": ctx.ptr(op.inputs[0]), "output": ctx.ptr(op.outputs[0])}
