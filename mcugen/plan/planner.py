"""The memory planner: schedule, lifetimes, scratch and offsets → a :class:`MemoryPlan`.

Every non-constant tensor (model inputs and outputs included) and every kernel scratch buffer gets
a fixed offset in one static arena. The plan is computed for each candidate execution order (the
graph's own, the exact minimum-peak order of reorder.py when the graph is small enough to search,
and a greedy memory-aware order; they differ only for branching graphs such as ResNet's skip
connections) and the smallest arena wins; ties keep the graph's order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    blocks = []
    for root, life in sorted(lifetimes.items()):
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
                      order, buffers, dict(root_of), keep_all, dict(backends))


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
