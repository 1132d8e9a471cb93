"""Property tests on random DAGs: the validator never fails and the planner never loses to plain
greedy-by-size placement of the same buffers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mcugen.plan import plan_memory, validate_plan
from mcugen.plan.assign import Block, greedy_by_size
from mcugen.plan.lifetimes import compute_lifetimes
from tests.strategies import examples, random_dags, raw_blocks


@examples(150)
@given(random_dags(), st.sampled_from(["cortex-m4", "cortex-m55"]), st.booleans())
def test_plan_valid_and_never_worse_than_greedy(graph, cpu, keep_all):
    plan = plan_memory(graph, kernels="cmsis-nn", cpu=cpu, keep_all=keep_all)
    validate_plan(graph, plan)
    assert plan.arena_bytes >= plan.lower_bound_bytes
    lifetimes, _ = compute_lifetimes(graph, plan.order, keep_all)
    a = plan.alignment
    blocks = [Block(r, (l.size + a - 1) // a * a, l.first, l.last) for r, l in lifetimes.items()]
    _, greedy = greedy_by_size(blocks, a)
    assert plan.arena_bytes <= greedy


@examples(150)
@given(raw_blocks)
def test_assignment_never_overlaps(raw):
    """First-fit offsets: buffers live at the same time never share bytes."""
    from mcugen.plan.assign import assign_offsets
    blocks = [Block(i, (s + 3) // 4 * 4, min(f, l), max(f, l)) for i, (s, f, l) in enumerate(raw)]
    offsets, top = assign_offsets(blocks, 4, lower_bound=0, budget=50)
    for i, p in enumerate(blocks):
        assert offsets[p.key] % 4 == 0 and offsets[p.key] + p.size <= top
        for q in blocks[i + 1:]:
            if p.first <= q.last and q.first <= p.last:
                assert offsets[p.key] + p.size <= offsets[q.key] or \
                    offsets[q.key] + q.size <= offsets[p.key]
