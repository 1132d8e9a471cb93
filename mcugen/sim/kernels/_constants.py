"""Reading the constant parameter tensors of data-movement operators (paddings, perm, begin/end/
strides, axis), with one-line errors naming the operator when one is missing or not constant."""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...model.graph import Graph, Operator


def constant_input(graph: Graph, op: Operator, position: int, what: str) -> np.ndarray:
    """The data of the op's input ``position``, which TFLM requires to be a constant tensor."""
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise InputError(f"{op.opcode} has no {what} input", f"operator {op.index}")
    t = graph.tensors[op.inputs[position]]
    if t.data is None:
        raise InputError(f"{op.opcode} {what} tensor '{t.name}' is not constant (TFLM requires "
                         f"it to be)", f"operator {op.index}")
    return np.asarray(t.data)
