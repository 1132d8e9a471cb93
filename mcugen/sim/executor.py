"""Runs a graph through the simulator's kernels, in schedule order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UnsupportedOperatorError
from ..model.graph import Graph
from ..ops.registry import check_dtypes
from .registry import KernelCall, arithmetic_of, lookup
from .threads import single_threaded_blas


@dataclass
class SimResult:
    outputs: list[np.ndarray]
    tensors: dict[int, np.ndarray]   # every tensor computed, when run with keep_all=True


class Simulator:
    """Prepared once per graph; :meth:`run` may be called many times.

    Runs are independent except through the graph's variable tensors (recurrent state such as an
    LSTM's hidden and cell state): they persist from one run to the next, as in TFLM, until
    :meth:`reset` sets them back to their initial values (done once on construction).
    """

    def __init__(self, graph: Graph, record_state: bool = False):
        self.graph = graph
        # with record_state, run(keep_all=True) gives each variable tensor as the stack of the
        # values it took at every time step of the run (calibration of recurrent state)
        self.record_state = record_state
        self.trajectory: dict[int, list] | None = None
        self._steps = []
        for op in graph.operators:
            check_dtypes(graph, op, "the simulator")
            arithmetic = arithmetic_of(graph, op)
            kernel = lookup(op.opcode, arithmetic)
            if kernel is None:
                raise UnsupportedOperatorError(op.opcode, op.index, graph.name,
                                               stage=f"no {arithmetic} simulator kernel")
            self._steps.append((op, kernel, {}))
        self.state: dict[int, np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        """TFLM's ResetVariableTensors: every variable tensor memset to its int8 zero point (an
        int8 tensor with quantization), else to 0 (int16, int32, float alike)."""
        self.state = {t.index: initial_state(t) for t in self.graph.tensors if t.is_variable}

    def run(self, inputs: list[np.ndarray], keep_all: bool = False) -> SimResult:
        g = self.graph
        if len(inputs) != len(g.inputs):
            raise InputError(f"model takes {len(g.inputs)} inputs, got {len(inputs)}", g.name)
        values: dict[int, np.ndarray] = {}
        for index, array in zip(g.inputs, inputs):
            t = g.tensors[index]
            array = np.asarray(array)
            if array.dtype != t.dtype:
                raise InputError(f"input '{t.name}' is {t.dtype}, got {array.dtype}", g.name)
            if array.size != t.size:
                raise InputError(f"input '{t.name}' has shape {list(t.shape)}, got "
                                 f"{list(array.shape)}", g.name)
            values[index] = array.reshape(t.shape)
        remaining = _last_uses(g) if not keep_all else None
        self.trajectory = {} if self.record_state else None
        with single_threaded_blas():
            self._run_steps(values, remaining)
        if keep_all:
            values.update((i, a.copy()) for i, a in self.state.items())
            for i, steps in (self.trajectory or {}).items():
                values[i] = np.stack([np.asarray(v, np.float32).reshape(g.tensors[i].shape)
                                      for v in steps])
        return SimResult(outputs=[values[i] for i in g.outputs],
                         tensors=values if keep_all else {})

    def _run_steps(self, values: dict[int, np.ndarray],
                   remaining: dict[int, list[int]] | None) -> None:
        g = self.graph
        for step, (op, kernel, cache) in enumerate(self._steps):
            args = [None if i < 0 else (g.tensors[i].data if g.tensors[i].is_constant
                                        else self.state[i] if i in self.state
                                        else values[i]) for i in op.inputs]
            call = KernelCall(g, op, g.op_inputs(op), g.op_outputs(op), args, cache, self.state,
                              self.trajectory)
            results = kernel(call)
            for index, array in zip(op.outputs, results):
                t = g.tensors[index]
                values[index] = np.asarray(array, dtype=t.dtype).reshape(t.shape)
            if remaining is not None:
                for index in remaining.get(step, ()):
                    values.pop(index, None)


def initial_state(t) -> np.ndarray:
    """A variable tensor's value after a reset (TFLM's ResetTensorData: a byte memset)."""
    value = 0
    if t.dtype == np.int8 and t.quant is not None and len(t.quant.zero_point):
        value = int(t.quant.zero_point[0])
    return np.full(t.shape, value, dtype=t.dtype)


def _last_uses(graph: Graph) -> dict[int, list[int]]:
    """step -> tensors no later step reads (freed to keep memory flat on big models)."""
    last: dict[int, int] = {}
    for step, op in enumerate(graph.operators):
        for i in op.inputs:
            if i >= 0:
                last[i] = step
    keep = set(graph.outputs)
    result: dict[int, list[int]] = {}
    for index, step in last.items():
        if index not in keep:
            result.setdefault(step, []).append(index)
    return result


def simulate(graph: Graph, inputs: list[np.ndarray], keep_all: bool = False) -> SimResult:
    return Simulator(graph).run(inputs, keep_all=keep_all)
