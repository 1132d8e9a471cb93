"""The execution order with the lowest peak: exact search over the sets of executed operators.

For a branching graph (ResNet's skip connections, multi-branch blocks) the order in which the
branches run changes how many bytes are live at once. The peak of an order is
max over its positions of (live bytes + that op's scratch), with the liveness rules of
lifetimes.py (aliases share bytes; an in-place op's output takes over an input dying there). The
peak after running a set S of operators depends only on S, so
    best(S) = min over ready v of max(bytes while v runs after S, best(S + v))
is a dynamic programme over the executed sets ("downsets") of the dependency graph. Chains have
n of them and ResNet-style blocks a few per block; the search gives up (returns None) past a
state budget, and the planner falls back to its greedy order. Ties keep the lowest op index
first, so a chain keeps the graph's order.
"""

from __future__ import annotations

import sys

from ..model.graph import Graph
from .lifetimes import ALIAS_OPS, inplace_inputs, persistent_tensors


class _Budget(Exception):
    pass


class PeakModel:
    """Bytes needed while op v runs, after the ops in the bit set ``done`` have run."""

    def __init__(self, graph: Graph, scratch: dict[int, int], alignment: int):
        ops = graph.operators
        self.graph, self.n = graph, len(ops)
        rounded = lambda b: (b + alignment - 1) // alignment * alignment   # noqa: E731
        active = lambda t: t >= 0 and not graph.tensors[t].is_constant     # noqa: E731
        persistent = persistent_tensors(graph)
        state = set(persistent) - set(graph.inputs)
        self.group: dict[int, int] = {t: t for t in persistent}
        self.producer: dict[int, int | None] = {t: None for t in persistent}
        for op in ops:
            sources = [t for t in op.inputs if active(t) and t in self.group]
            for out in op.outputs:
                if op.opcode in ALIAS_OPS and sources:
                    self.group[out] = self.group[sources[0]]
                else:
                    self.group[out] = out
                    self.producer[out] = op.index
        roots = sorted(set(self.group.values()))
        self.size = {r: rounded(graph.tensors[r].nbytes) for r in roots}
        self.pinned = {r: False for r in roots}
        for t, r in self.group.items():
            if t in graph.outputs or t in state:
                self.pinned[r] = True
        self.consumers: dict[int, int] = {r: 0 for r in roots}   # bit set of reading ops
        for op in ops:
            for t in op.inputs:
                if t in self.group:
                    self.consumers[self.group[t]] |= 1 << op.index
        self.roots = roots
        self.creates = [[t for t in op.outputs if self.group.get(t) == t
                         and self.producer.get(t) == op.index] for op in ops]
        self.candidates = [[self.group[t] for t in inplace_inputs(graph, op, op.outputs[0])
                            if t in self.group] if len(op.outputs) == 1 else [] for op in ops]
        writer = {t: op.index for op in ops for t in op.outputs}
        self.preds = [0] * self.n
        for op in ops:
            for t in op.inputs:
                if t in writer and writer[t] != op.index:
                    self.preds[op.index] |= 1 << writer[t]
        self.scratch = {v: rounded(s) for v, s in scratch.items()}
        self._alive: dict[int, int] = {}

    def alive_between(self, done: int) -> int:
        """Bytes held across the step after ``done``: born, and read later or pinned."""
        hit = self._alive.get(done)
        if hit is not None:
            return hit
        total = 0
        for r in self.roots:
            p = self.producer[r]
            if p is None:
                # model inputs and state: from the start; an unread input only at step 0
                if self.pinned[r] or self.consumers[r] & ~done or (done == 0):
                    total += self.size[r]
            elif (done >> p) & 1 and (self.pinned[r] or self.consumers[r] & ~done):
                total += self.size[r]
        self._alive[done] = total
        return total

    def step_bytes(self, v: int, done: int) -> int:
        new = sum(self.size[r] for r in self.creates[v])
        after = done | (1 << v)
        if self.creates[v] and self.graph.operators[v].outputs[0] in self.creates[v]:
            for g in self.candidates[v]:
                p = self.producer[g]
                born = p is None or (done >> p) & 1
                if born and not self.pinned[g] and not (self.consumers[g] & ~after) \
                        and self.size[g] >= self.size[self.graph.operators[v].outputs[0]]:
                    new -= self.size[self.graph.operators[v].outputs[0]]
                    break
        return self.alive_between(done) + new + self.scratch.get(v, 0)

    def peak(self, order: list[int]) -> int:
        done, best = 0, 0
        for v in order:
            best = max(best, self.step_bytes(v, done))
            done |= 1 << v
        return best

    def ready(self, done: int) -> list[int]:
        return [v for v in range(self.n) if not (done >> v) & 1 and not (self.preds[v] & ~done)]


def optimal_order(graph: Graph, scratch: dict[int, int], alignment: int,
                  max_states: int = 20000) -> list[int] | None:
    """A topological order of minimum peak, or None when the graph has too many executed-op
    sets to search exactly."""
    model = PeakModel(graph, scratch, alignment)
    full = (1 << model.n) - 1
    memo: dict[int, tuple[int, int]] = {}
    budget = [max_states]

    def solve(done: int) -> int:
        if done == full:
            return 0
        hit = memo.get(done)
        if hit is not None:
            return hit[0]
        budget[0] -= 1
        if budget[0] < 0:
            raise _Budget
        best, choice = None, -1
        for v in model.ready(done):
            peak = max(model.step_bytes(v, done), solve(done | (1 << v)))
            if best is None or peak < best:
                best, choice = peak, v
        memo[done] = (best, choice)
        return best

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 3 * model.n + 200))
    try:
        solve(0)
    except (_Budget, RecursionError):
        return None
    finally:
        sys.setrecursionlimit(limit)
    order, done = [], 0
    while done != full:
        v = memo[done][1]
        order.append(v)
        done |= 1 << v
    return order
