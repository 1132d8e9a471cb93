"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
PAD and PADV2 (TFLM pad.cc / reference_ops::PadImpl).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/pad.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Operator
from .common import constant_input
from .registry import PORTABLE_16X8, SameParams, record


@dataclass
class PadParams:
    before: tuple[int, ...]       # per dimension
    after: tuple[int, ...]
    pad_value: float | int        # in the output's storage type (int8 code or float)


def prepare_pad(graph: Graph, op: Operator) -> PadParams:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    paddings = constant_input(graph, op, 1, "paddings").astype(np.int64).reshape(-1, 2)
    if paddings.shape[0] != len(x.shape):
        raise InputError(f"{op.opcode} paddings have {paddings.shape[0]} rows for a "
                         f"{len(x.shape)}-D input", f"operator {op.index}")
    before = tuple(int(v) for v in paddings[:, 0])
    after = tuple(int(v) for v in paddings[:, 1])
    expected = tuple(d + b + a for d, b, a in zip(x.shape, before, after))
    if expected != tuple(y.shape) or min(before + after, default=0) < 0:
        raise InputError(f"{op.opcode} output shape {list(y.shape)} does not match input "
                         f"{list(x.shape)} padded by {paddings.tolist()}", f"operator {op.index}")
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        pad_value = constant_input(graph, op, 2, "constant_values").ravel()[0].item()
    elif y.dtype == np.float32:
        pad_value = 0.0
    elif y.dtype == np.int16 and y.quant is not None and int(y.quant.zero_point[0]) != 0:
        raise InputError(f"int16 {op.opcode} output has zero point {int(y.quant.zero_point[0])}"
                         " (TFLM pads int16 with 0 and takes zero point 0)", f"operator {op.index}")
    else:
        pad_value = int(y.quant.zero_point[0]) if y.quant is not None else 0
    return PadParams(before, after, pad_value)


RECORDS = (
    record("PAD", "pad", dtypes=("int8", "int16", "float32"), prepare=prepare_pad,
           quant=SameParams((0,)), version=2, backends=PORTABLE_16X8, float_kernel=True,
           parameter_inputs=(1,)),
    record("PADV2", "pad", dtypes=("int8", "int16", "float32"), prepare=prepare_pad,
           quant=SameParams((0, 2)), version=2, backends=PORTABLE_16X8,
           float_kernel=True, parameter_inputs=(1,)),
)
