"""The simulator's kernel registry: one kernel per (operator, arithmetic) pair.

A kernel is a function ``kernel(call: KernelCall) -> list[np.ndarray]`` registered with
``@register("CONV_2D", QUANT)`` in ``kernels/<family>.py``, the family of the operator's record
in :mod:`mcugen.ops` (which declares the dtypes the kernels implement; the executor refuses any
other dtype before a kernel runs). ``QUANT`` kernels implement TFLM's reference integer semantics
bit for bit; ``FLOAT`` kernels implement float32 arithmetic (the quantizer's calibration path).
The arithmetic of an operator is FLOAT when all its non-constant inputs and outputs are float32,
else QUANT (QUANTIZE and DEQUANTIZE are QUANT: they touch integers).

``call.cache`` persists across invocations of the same operator: the Prepare half of a kernel
(requantization constants, reshaped weights) goes there, the Eval half runs every time.
``call.state`` is the simulator's store of variable tensors (an LSTM's hidden and cell state):
a stateful kernel reads their current values from ``call.values`` like any input and writes the
new ones into ``call.state[tensor index]``; they persist until :meth:`Simulator.reset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..model.graph import Graph, Operator, Tensor

QUANT = "quant"
FLOAT = "float"

Kernel = Callable[["KernelCall"], list]
_KERNELS: dict[tuple[str, str], Kernel] = {}


@dataclass
class KernelCall:
    graph: Graph
    op: Operator
    inputs: list[Tensor | None]        # tensor descriptions (None for omitted optional inputs)
    outputs: list[Tensor]
    values: list[np.ndarray | None]    # input values, constants included
    cache: dict[str, Any] = field(default_factory=dict)
    state: dict[int, np.ndarray] = field(default_factory=dict)
    # calibration only (Simulator(record_state=True)): a stateful float kernel appends every time
    # step's value of its variable tensors here, so the quantizer sees the range a state takes
    # inside one invocation, not only its last value
    trajectory: dict[int, list] | None = None


def register(opcode: str, arithmetic: str) -> Callable[[Kernel], Kernel]:
    def wrap(fn: Kernel) -> Kernel:
        key = (opcode, arithmetic)
        if key in _KERNELS:
            raise RuntimeError(f"kernel {key} registered twice")
        _KERNELS[key] = fn
        return fn
    return wrap


def arithmetic_of(graph: Graph, op: Operator) -> str:
    if op.opcode in ("QUANTIZE", "DEQUANTIZE"):
        return QUANT
    tensors = [t for t in graph.op_inputs(op) if t is not None and not t.is_constant]
    tensors += graph.op_outputs(op)
    return FLOAT if all(t.dtype == np.float32 for t in tensors) else QUANT


def lookup(opcode: str, arithmetic: str) -> Kernel | None:
    _load_kernels()
    return _KERNELS.get((opcode, arithmetic))


def supported(arithmetic: str | None = None) -> set[str]:
    _load_kernels()
    return {op for op, a in _KERNELS if arithmetic is None or a == arithmetic}


def _load_kernels() -> None:
    # Importing the package runs every kernel module's @register decorators.
    from . import kernels  # noqa: F401
