"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
QUANTIZE and DEQUANTIZE (TFLM quantize.cc / dequantize.cc with reference AffineQuantize,
Requantize and Dequantize).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/quantize.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedOperatorError
from ..fixedpoint import quantize_multiplier
from ..model.graph import Graph, Operator
from .common import QMAX, QMIN, scale_of, zero_point_of
from .registry import record


@dataclass
class RequantizeParams:
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


#: QUANTIZE pairs with int16 or int32 on a side that the simulator implements (each checked
#: against TFLM in the property tests); any other such pair is refused with one line.
WIDE_PAIRS = {("float32", "int16"), ("int16", "int16"), ("int16", "int8"), ("int8", "int16"),
              ("int16", "int32"), ("int32", "int16")}


def check_quantize_pair(graph: Graph, op: Operator) -> None:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    pair = (x.dtype.name, y.dtype.name)
    if ({"int16", "int32"} & set(pair)) and pair not in WIDE_PAIRS:
        raise UnsupportedOperatorError(f"QUANTIZE ({pair[0]} -> {pair[1]})", op.index,
                                       graph.name, stage="not simulated")


def prepare_requantize(graph: Graph, op: Operator) -> RequantizeParams:
    check_quantize_pair(graph, op)
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    mult, shift = quantize_multiplier(float(np.float32(scale_of(x))) /
                                      float(np.float32(scale_of(y))))
    return RequantizeParams(zero_point_of(x), zero_point_of(y), mult, shift)


def quantize_float(values: np.ndarray, scale: float, zero_point: int, dtype) -> np.ndarray:
    """AffineQuantize: round(val / float(scale)) in float32, + zero point, clamped."""
    q = np.asarray(values, np.float32) / np.float32(scale)
    rounded = np.where(q >= 0, np.floor(q + np.float32(0.5)), -np.floor(-q + np.float32(0.5)))
    dtype = np.dtype(dtype)
    return np.clip(rounded.astype(np.int64) + zero_point, QMIN[dtype], QMAX[dtype]).astype(dtype)


def _quantize_pair(graph: Graph, op: Operator) -> str | None:
    """mcugen's C: float32 -> int8 or int16 at a model's input, between 8-bit types, between
    int8 and int16, and int16 -> int32 (an SVDF keyword model's input)."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    eight = ("int8", "uint8")
    if {x.dtype.name, y.dtype.name} <= {"int8", "int16"} and "int16" in (x.dtype.name,
                                                                          y.dtype.name):
        return None           # 16x8 edges and requantization: int8 <-> int16, int16 -> int16
    if (x.dtype.name, y.dtype.name) == ("int16", "int32"):
        return None
    if (x.dtype.name == "float32" and y.dtype.name in ("int8", "int16")) or \
            (x.dtype.name in eight and y.dtype.name in eight):
        return None
    return f"{x.dtype.name} -> {y.dtype.name} is not generated"


def _dequantize_pair(graph: Graph, op: Operator) -> str | None:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype.name in ("int8", "int16") and y.dtype.name == "float32":
        return None
    return f"{x.dtype.name} -> {y.dtype.name} is not generated"


def _int8_inplace(graph: Graph, op: Operator) -> bool:
    return all(graph.tensors[i].dtype == np.int8 for i in op.inputs[:1] + op.outputs)


# QUANTIZE/DEQUANTIZE are written by the quantizer (I/O adapters), not quantized from float.
RECORDS = (
    record("QUANTIZE", "quantize", dtypes=("float32", "int8", "int16", "int32", "uint8"),
           prepare=prepare_requantize, version=2, inplace=True,
           backends={"portable": _quantize_pair}),
    record("DEQUANTIZE", "quantize", dtypes=("int8", "int16", "uint8", "float32"), version=2,
           backends={"portable": _dequantize_pair}),
)
