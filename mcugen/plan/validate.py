"""An independent check of a memory plan, written separately from the planner on purpose: it
recomputes what must be live from the graph and the plan's order, and checks the plan's promises.
Run on every plan in the tests and by ``mcugen build``."""

from __future__ import annotations

from ..errors import McugenError
from .lifetimes import ALIAS_OPS
from ..model.graph import Graph


class PlanError(McugenError):
    """The planner produced an invalid plan: a bug in mcugen, reported as an infrastructure
    failure."""

    exit_code = 3


def validate_plan(graph: Graph, plan) -> None:
    ops = graph.operators
    if sorted(plan.order) != list(range(len(ops))):
        raise PlanError("plan order is not a permutation of the operators")
    readers = {t for op in ops for t in op.inputs}
    written = {t for op in ops for t in op.outputs}
    state = {t.index for t in graph.tensors if not t.is_constant and t.index in readers
             and t.index not in written and t.index not in graph.inputs}
    produced = set(graph.inputs) | state
    for op_index in plan.order:
        for t in ops[op_index].inputs:
            if t >= 0 and not graph.tensors[t].is_constant and t not in produced:
                raise PlanError(f"op {op_index} reads tensor {t} before it is produced")
        produced.update(ops[op_index].outputs)

    # when each activation tensor must hold its value: from production to its last reader
    position = {op_index: step for step, op_index in enumerate(plan.order)}
    end = len(plan.order) - 1
    need: dict[int, list[int]] = {t: [0, 0] for t in graph.inputs}
    need.update({t: [0, end] for t in state})
    for op in ops:
        for t in op.outputs:
            need[t] = [position[op.index], position[op.index]]
    for op in ops:
        for t in op.inputs:
            if t in need:
                need[t][1] = max(need[t][1], position[op.index])
    for t in graph.outputs:
        need[t][1] = end
    if plan.keep_all:
        for t in need:
            need[t][1] = end

    # each tensor's bytes: [offset, offset + nbytes)
    spans = []
    for t, (first, last) in need.items():
        try:
            offset = plan.tensor_offset(t)
        except (KeyError, StopIteration):
            raise PlanError(f"tensor {t} has no place in the arena") from None
        size = graph.tensors[t].nbytes
        if offset % plan.alignment:
            raise PlanError(f"tensor {t} at offset {offset} is not {plan.alignment}-aligned")
        if offset < 0 or offset + size > plan.arena_bytes:
            raise PlanError(f"tensor {t} [{offset}, {offset + size}) is outside the arena "
                            f"of {plan.arena_bytes} bytes")
        spans.append((f"tensor {t}", offset, offset + size, first, last, t))
    for b in plan.buffers:
        if b.kind == "scratch":
            if b.offset % plan.alignment or b.offset + b.size > plan.arena_bytes:
                raise PlanError(f"{b.name} misplaced at {b.offset}")
            step = position[b.op]
            spans.append((b.name, b.offset, b.offset + b.size, step, step, None))

    # an op may write its output over an input it is the last reader of (in place / alias),
    # so a tensor's interval may touch, at its last step, one its bytes pass into
    for i, (na, a0, a1, af, al, ta) in enumerate(spans):
        for nb, b0, b1, bf, bl, tb in spans[i + 1:]:
            if a0 < b1 and b0 < a1 and af <= bl and bf <= al:
                if _handover(graph, plan, ta, tb, al, bf) or _handover(graph, plan, tb, ta, bl, af):
                    continue
                raise PlanError(f"{na} [{a0},{a1}) steps {af}-{al} overlaps {nb} [{b0},{b1}) "
                                f"steps {bf}-{bl}")


def _handover(graph: Graph, plan, first, second, first_last: int, second_first: int) -> bool:
    """True when ``second`` legitimately reuses ``first``'s bytes: same root (alias/in place) and
    ``first`` is last read at the step that produces ``second``."""
    if first is None or second is None:
        return False
    same_root = plan.aliases.get(first) == plan.aliases.get(second)
    if not same_root:
        return False
    op = graph.operators[plan.order[second_first]]
    if op.opcode in ALIAS_OPS:
        return True       # same bytes, same values: the lifetimes may overlap freely
    return first_last == second_first and first in op.inputs and second in op.outputs
