"""QUANTIZE and DEQUANTIZE: requantization between 8-bit types (int8 ↔ int8/uint8) and with
int16 (int8 ↔ int16, int16 → int16), and the float edges of models that keep float I/O (float →
int8/int16 in, int8/int16 → float out)."""

from __future__ import annotations

import numpy as np

from ...ops.common import scale_of, zero_point_of
from ...ops.quantize import prepare_requantize
from ..context import LoweringContext
from ..lowering import lowering

_BYTE_TYPES = ("int8", "uint8")


@lowering("QUANTIZE")
def quantize(ctx: LoweringContext, op) -> dict:
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    common = {"size": y.size, "output": ctx.ptr(op.outputs[0], "void" if y.dtype.name ==
                                                 "uint8" else "int8_t")}
    if x.dtype == np.float32 and y.dtype.name in ("int8", "int16"):
        return {**common, "kind": "from_float", "input": ctx.ptr(op.inputs[0], "float"),
                "scale": repr(float(np.float32(scale_of(y)))) + "f",
                "zero_point": zero_point_of(y), "s16": y.dtype.name == "int16",
                "output": ctx.ptr(op.outputs[0], "int16_t" if y.dtype.name == "int16"
                                  else "int8_t")}
    if x.dtype.name in _BYTE_TYPES and y.dtype.name in _BYTE_TYPES:
        return {**common, "kind": "requantize", "p": prepare_requantize(ctx.graph, op),
                "s16": False,
                "input": ctx.ptr(op.inputs[0], "void"), "output": ctx.ptr(op.outputs[0], "void"),
                "in_unsigned": int(x.dtype.name == "uint8"),
                "out_unsigned": int(y.dtype.name == "uint8")}
    if {x.dtype.name, y.dtype.name} <= {"int8", "int16"} or \
            (x.dtype.name, y.dtype.name) == ("int16", "int32"):
        return {**common, "kind": "requantize16", "p": prepare_requantize(ctx.graph, op),
                "s16": True, "input": ctx.ptr(op.inputs[0], "void"),
                "output": ctx.ptr(op.outputs[0], "void"),
                "in_bits": 8 * x.dtype.itemsize, "out_bits": 8 * y.dtype.itemsize}
    raise AssertionError(f"{x.dtype} -> {y.dtype}: the record's check should have refused it")


@lowering("DEQUANTIZE")
def dequantize(ctx: LoweringContext, op) -> dict:
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if x.dtype.name not in ("int8", "int16") or y.dtype != np.float32:
        raise AssertionError(f"{x.dtype} -> {y.dtype}: the record's check should have refused it")
    s16 = x.dtype.name == "int16"
    return {"kind": "to_float", "size": y.size, "s16": s16,
            "input": ctx.ptr(op.inputs[0], "int16_t" if s16 else "int8_t"),
            "output": ctx.ptr(op.outputs[0], "float"),
            "scale": repr(float(np.float64(np.float32(scale_of(x))))),
            "zero_point": zero_point_of(x)}
