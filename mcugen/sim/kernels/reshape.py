"""RESHAPE, SQUEEZE, EXPAND_DIMS: the bytes do not change, only the shape (which the executor
takes from the output tensor). The same kernel serves integer and float tensors."""

from __future__ import annotations

import numpy as np

from ..registry import FLOAT, QUANT, KernelCall, register

RESHAPE_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def _same_bytes(call: KernelCall) -> list[np.ndarray]:
    return [np.asarray(call.values[0]).reshape(call.outputs[0].shape)]


for _opcode in RESHAPE_OPS:
    register(_opcode, QUANT)(_same_bytes)
    register(_opcode, FLOAT)(_same_bytes)
