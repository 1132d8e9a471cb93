"""RESHAPE, SQUEEZE, EXPAND_DIMS: the bytes do not change, only the shape (which the executor
takes from the output tensor). The same kernel serves integer and float tensors."""

from __future__ import annotations

import numpy as np

from ...ops.registry import names
from ..registry import FLOAT, QUANT, KernelCall, register



def _same_bytes(call: KernelCall) -> list[np.ndarray]:
    return [np.asarray(call.values[0]).reshape(call.outputs[0].shape)]


for _opcode in sorted(names(lambda r: r.alias)):     # the records' reshape family
    register(_opcode, QUANT)(_same_bytes)
    register(_opcode, FLOAT)(_same_bytes)
