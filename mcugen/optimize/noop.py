"""Operators that change nothing, removed.

    x -> RESHAPE/SQUEEZE/EXPAND_DIMS (same shape, same quantization) -> y -> readers
    x -> QUANTIZE int8 -> int8 (every one of the 256 values maps to itself) -> y -> readers

after:

    x -> readers                 (or, when y is a graph output, x's producer writes y)

A reshape whose output shape equals its input shape copies bytes that mean the same numbers when
the two tensors share dtype and quantization. An int8 -> int8 QUANTIZE is an identity only when
TFLM's requantization (multiplier s_in / s_out, double rounding, clamp) returns every input
unchanged, which is checked on all 256 values with the simulator's kernel
(:mod:`.exhaustive`), never inferred from the parameters.
"""

from __future__ import annotations

import numpy as np

from ..errors import McugenError
from ..model.graph import Graph, Operator
from .edit import bypass, same_quant
from .exhaustive import all_values, enumerable, run_chain

RESHAPES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def is_noop(graph: Graph, op: Operator) -> bool:
    if not op.inputs or op.inputs[0] < 0 or len(op.outputs) != 1:
        return False
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if op.opcode in RESHAPES:
        return tuple(x.shape) == tuple(y.shape) and same_quant(x, y)
    if op.opcode == "QUANTIZE":
        if not (x.dtype == y.dtype == np.dtype(np.int8) and tuple(x.shape) == tuple(y.shape)
                and enumerable(x) and enumerable(y)):
            return False
        try:
            return bool(np.array_equal(run_chain(graph, [op]), all_values(x.dtype)))
        except McugenError:     # a requantization the simulator refuses: left for the stages
            return False
    return False


def apply(graph: Graph) -> str | None:
    for op in graph.operators:
        if is_noop(graph, op):
            origin = op.source
            if bypass(graph, op):
                return f"{op.opcode} (operator {', '.join(map(str, origin))}) removed: it " \
                       "changes nothing"
    return None
