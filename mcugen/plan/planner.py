"""The memory planner: schedule, lifetimes, scratch and offsets → a :class:`MemoryPlan`.

Every non-constant tensor (model inputs and outputs included) and every kernel scratch buffer gets
a fixed offset in one static arena. Variable tensors (recurrent state: an LSTM's hidden and cell
state, an SVDF's window) must keep their bytes from one invocation to the next, so they get a
region of their own at the start of the arena, in tensor index order, never shared with anything
(``state_bytes``): their offsets depend on nothing but the variable tensors themselves, which is
what the generated ``<name>_reset()`` writes over. The plan is computed for each candidate execution order (the
graph's own, the exact minimum-peak order of reorder.py when the graph is small enough to search,
and a greedy memory-aware order; they differ only for branching graphs such as ResNet's skip
connections) and the smallest arena wins; ties keep the graph's order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..model.graph import Graph
from .assign import Block, assign_offsets
from .lifetimes import compute_lifetimes
from .reorder import optimal_order
from ..errors import UnsupportedOperatorError
from ..ops.registry import backend_chain, choose_backend, prepare_all
from .scratch import scratch_bytes, variant


@dataclass
class Buffer:
    name: str
    kind: str              # "tensor" | "scratch"
    tensor: int | None     # owning tensor (tensor buffers)
    op: int | None         # owning op (scratch buffers)
    offset: int
    size: int
    first_op: int          # positions in plan.order
    last_op: int
    members: list[int] = field(default_factory=list)   # tensors stored here (aliases, in place)


@dataclass
class MemoryPlan:
    arena_bytes: int
    lower_bound_bytes: int
    peak_op: int               # op index at the peak of the lower bound
    alignment: int
    kernels: str
    cpu: str
    order: list[int]
    buffers: list[Buffer]
    aliases: dict[int, int]    # tensor -> root tensor whose bytes it uses (root maps to itself)
    keep_all: bool = False
    backends: dict[int, str] = field(default_factory=dict)   # op index -> backend of its layer
    state_bytes: int = 0       # the persistent region of variable tensors: arena[0, state_bytes)

    def state_tensors(self, graph: Graph) -> list[tuple[int, int, int, int]]:
        """(tensor index, offset, bytes, fill byte) of every variable tensor, the values TFLM's
        ResetVariableTensors writes: an int8 tensor's zero point, 0 for the rest."""
        from ..sim.executor import initial_state
        found = []
        for t in graph.tensors:
            if t.is_variable and t.index in self.aliases:
                fill = int(initial_state(t).view(np.uint8).ravel()[0]) if t.size else 0
                found.append((t.index, self.tensor_offset(t.index), t.nbytes, fill))
        return found

    def tensor_offset(self, tensor_index: int) -> int:
        root = self.aliases[tensor_index]
        return next(b.offset for b in self.buffers if b.kind == "tensor" and b.tensor == root)

    def scratch(self, op_index: int) -> tuple[int, int] | None:
        for b in self.buffers:
            if b.kind == "scratch" and b.op == op_index:
                return b.offset, b.size
        return None

    def to_json(self) -> dict:
        data = asdict(self)
        data["aliases"] = {str(k): v for k, v in self.aliases.items()}
        data["backends"] = {str(k): v for k, v in self.backends.items()}
        return data


def alignment_for(cpu: str) -> int:
    return 16 if variant(cpu) == "mve" else 4


def layer_backends(graph: Graph, kernels: str | tuple[str, ...] = "portable") -> dict[int, str]:
    """op index -> the backend its layer gets: ``kernels`` is the preferred backend (then mcugen's
    portable kernels) or a whole chain (:func:`mcugen.ops.registry.backend_chain`). A layer no
    backend takes is left out: the planner gives it no scratch, the code generator refuses it."""
    chain = backend_chain(kernels) if isinstance(kernels, str) else tuple(kernels)
    chosen = {}
    for op in graph.operators:
        try:
            chosen[op.index] = choose_backend(graph, op, chain)
        except UnsupportedOperatorError:
            pass
    return chosen


def plan_memory(graph: Graph, kernels: str | tuple[str, ...] = "portable", cpu: str = "cortex-m4",
                keep_all: bool = False) -> MemoryPlan:
    """Plan the arena. ``keep_all`` gives a debug plan in which no tensor is ever overwritten.
    Each layer's scratch is that of the backend it gets (:func:`layer_backends`)."""
    prepare_all(graph)
    backends = layer_backends(graph, kernels)
    kernels = kernels if isinstance(kernels, str) else kernels[0]
    orders = [list(range(len(graph.operators)))]
    if not keep_all:
        scratch = {op.index: s for op in graph.operators
                   if (s := _scratch(graph, op, backends, cpu))}
        for alt in (optimal_order(graph, scratch, alignment_for(cpu)), memory_aware_order(graph)):
            if alt is not None and alt not in orders:
                orders.append(alt)
    best = None
    for order in orders:
        plan = _plan_for_order(graph, order, kernels, cpu, keep_all, backends)
        if best is None or plan.arena_bytes < best.arena_bytes:
            best = plan
    return best


def _scratch(graph: Graph, op, backends: dict[int, str], cpu: str) -> int:
    backend = backends.get(op.index)
    return scratch_bytes(graph, op, backend, cpu) if backend else 0


def _plan_for_order(graph: Graph, order: list[int], kernels: str, cpu: str,
                    keep_all: bool, backends: dict[int, str] | None = None) -> MemoryPlan:
    if backends is None:
        backends = layer_backends(graph, kernels)
    align = alignment_for(cpu)
    rounded = lambda n: (n + align - 1) // align * align   # noqa: E731
    lifetimes, root_of = compute_lifetimes(graph, order, keep_all)
    # the persistent state region first: variable tensors in index order, never reused
    state_offsets, state_bytes = {}, 0
    for root in sorted(lifetimes):
        if graph.tensors[root].is_variable:
            state_offsets[root] = state_bytes
            state_bytes += rounded(lifetimes[root].size)
    blocks = []
    for root, life in sorted(lifetimes.items()):
        if root not in state_offsets:
            blocks.append(Block(root, rounded(life.size), life.first, life.last))
    scratch_key = {}
    for step, op_index in enumerate(order):
        size = _scratch(graph, graph.operators[op_index], backends, cpu)
        if size:
            key = -(op_index + 1)                      # negative keys: scratch of an op
            scratch_key[key] = op_index
            blocks.append(Block(key, rounded(size), step, step))
    # the bound: at every step, the live bytes plus that step's scratch
    steps = len(order)
    live = [0] * max(steps, 1)
    for b in blocks:
        for s in range(b.first, b.last + 1):
            live[s] += b.size
    peak_step = max(range(len(live)), key=lambda s: (live[s], -s))
    lower_bound = live[peak_step]
    offsets, arena = assign_offsets(blocks, align, lower_bound)
    offsets = {key: state_bytes + offset for key, offset in offsets.items()}
    offsets.update(state_offsets)
    lower_bound += state_bytes
    arena += state_bytes
    steps_all = max(len(order) - 1, 0)
    blocks += [Block(root, rounded(lifetimes[root].size), 0, steps_all) for root in state_offsets]
    buffers = []
    for b in blocks:
        if b.key >= 0:
            life = lifetimes[b.key]
            name = graph.tensors[b.key].name or f"tensor{b.key}"
            buffers.append(Buffer(name, "tensor", b.key, None, offsets[b.key], b.size, b.first,
                                  b.last, sorted(life.members)))
        else:
            op_index = scratch_key[b.key]
            buffers.append(Buffer(f"scratch:{graph.operators[op_index].opcode}#{op_index}",
                                  "scratch", None, op_index, offsets[b.key], b.size, b.first,
                                  b.last))
    buffers.sort(key=lambda b: (b.first_op, b.offset, b.name))
    return MemoryPlan(arena, lower_bound, order[peak_step] if order else 0, align, kernels, cpu,
                      order, buffers, dict(root_of), keep_all, dict(backends), state_bytes)


def memory_aware_order(graph: Graph) -> list[int]:
    """A topological order that, among ready operators, runs first the one leaving the fewest live
    bytes (ties: the graph's order). Equals the graph's order for chains."""
    ops = graph.operators
    producer = {t: op.index for op in ops for t in op.outputs}
    deps = {op.index: {producer[t] for t in op.inputs if t in producer} for op in ops}
    readers: dict[int, set[int]] = {}
    for op in ops:
        for t in op.inputs:
            if t >= 0 and not graph.tensors[t].is_constant:
                readers.setdefault(t, set()).add(op.index)
    done: set[int] = set()
    order: list[int] = []
    while len(order) < len(ops):
        ready = [i for i in range(len(ops)) if i not in done and deps[i] <= done]

        def freed_minus_added(i: int) -> tuple[int, int]:
            op = ops[i]
            added = sum(graph.tensors[t].nbytes for t in op.outputs)
            freed = sum(graph.tensors[t].nbytes for t in set(op.inputs)
                        if t >= 0 and t in readers and readers[t] <= done | {i}
                        and t not in graph.outputs)
            return added - freed, i
        choice = min(ready, key=freed_minus_added)
        done.add(choice)
        order.append(choice)
    return order
