"""Buffers and their lifetimes for a schedule.

A *buffer* is a run of arena bytes holding one or more tensors: a tensor either gets a buffer of
its own or shares its producer input's buffer, when that is free:
- **aliases** — outputs of ALIAS_OPS (the reshape family) are their input's bytes (no copy);
- **in place** — an elementwise op (INPLACE_OPS) whose input dies at that op writes its output over
  that input (same byte count; the kernels read element i before writing element i).
Model inputs live from the first op, model outputs to the last; state tensors that no operator
produces (variable tensors, e.g. an LSTM's state) live for the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.graph import Graph
from ..ops.registry import names

#: Operators whose output is their input's bytes (the records' ``alias`` fact).
ALIAS_OPS = names(lambda r: r.alias)
#: Operators whose kernels (portable and CMSIS-NN) are correct with output == input pointer.
INPLACE_OPS = names(lambda r: r.inplace)


@dataclass
class Lifetime:
    root: int                      # tensor index that owns the bytes
    size: int                      # bytes
    first: int                     # first step (position in the order) it must hold data
    last: int                      # last step
    members: list[int] = field(default_factory=list)   # tensors stored in these bytes


def compute_lifetimes(graph: Graph, order: list[int], keep_all: bool = False
                      ) -> tuple[dict[int, Lifetime], dict[int, int]]:
    """(root tensor -> Lifetime, tensor -> root tensor) for ``order`` (op indices)."""
    ops = graph.operators
    end = len(order) - 1
    last_read: dict[int, int] = {}
    for step, op_index in enumerate(order):
        for t in ops[op_index].inputs:
            if t >= 0 and not graph.tensors[t].is_constant:
                last_read[t] = step
    outputs = set(graph.outputs)

    root_of: dict[int, int] = {}
    lifetimes: dict[int, Lifetime] = {}

    def open_buffer(t: int, step: int) -> None:
        root_of[t] = t
        lifetimes[t] = Lifetime(t, graph.tensors[t].nbytes, step, step, [t])

    for t in persistent_tensors(graph):
        open_buffer(t, 0)
    for step, op_index in enumerate(order):
        op = ops[op_index]
        for out in op.outputs:
            shared = None if keep_all else _shared_input(graph, op, out, root_of, lifetimes,
                                                         last_read, outputs, step)
            if shared is None:
                open_buffer(out, step)
            else:
                root_of[out] = shared
                lifetimes[shared].members.append(out)
    state = set(persistent_tensors(graph)) - set(graph.inputs)
    for t, root in root_of.items():
        life = lifetimes[root]
        last = end if (keep_all or t in outputs or t in state) \
            else last_read.get(t, life.first)
        life.last = max(life.last, last)
    return lifetimes, root_of


def persistent_tensors(graph: Graph) -> list[int]:
    """Model inputs, then non-constant tensors no operator writes (state), in index order."""
    produced = {t for op in graph.operators for t in op.outputs}
    state = [t.index for t in graph.tensors if not t.is_constant and t.index not in produced
             and t.index not in graph.inputs
             and any(t.index in op.inputs for op in graph.operators)]
    return list(graph.inputs) + state


_BINARY = frozenset({"ADD", "SUB", "MUL"})


def inplace_inputs(graph: Graph, op, out: int) -> list[int]:
    """Inputs ``out`` may be written over, if they die at ``op`` (the static half of the rule):
    same shape and byte count, no broadcasting for binary ops, QUANTIZE only int8 -> int8,
    never over a model output."""
    if op.opcode not in INPLACE_OPS or out in graph.outputs or len(op.outputs) != 1:
        return []
    out_t = graph.tensors[out]
    inputs = [graph.tensors[t] for t in op.inputs if t >= 0]
    if op.opcode in _BINARY and any(t.shape != out_t.shape for t in inputs):
        return []        # broadcasting: output element i reads other elements
    if op.opcode == "QUANTIZE" and not (inputs[0].dtype == np.int8 and out_t.dtype == np.int8):
        return []
    if op.opcode not in _BINARY:
        inputs = inputs[:1]  # unary kernels: only the data operand
    return [t.index for t in inputs if not t.is_constant and t.shape == out_t.shape
            and t.nbytes == out_t.nbytes]


def _shared_input(graph, op, out, root_of, lifetimes, last_read, outputs, step):
    """The root whose bytes ``out`` may take over, or None."""
    candidates = [t for t in op.inputs if t >= 0 and t in root_of]
    if op.opcode in ALIAS_OPS and candidates:
        return root_of[candidates[0]]
    for t in inplace_inputs(graph, op, out):
        if t not in root_of:
            continue
        root = root_of[t]
        life = lifetimes[root]
        # every tensor stored in that buffer must be dead after this op, and none is an output
        dies_here = all(last_read.get(m, -1) <= step and m not in outputs for m in life.members)
        if dies_here and life.size >= graph.tensors[out].nbytes:
            return root
    return None
