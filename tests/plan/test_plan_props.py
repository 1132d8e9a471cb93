"""Property tests on random DAGs: the validator never fails and the planner never loses to plain
greedy-by-size placement of the same buffers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder
from mcugen.plan import plan_memory, validate_plan
from mcugen.plan.assign import Block, greedy_by_size
from mcugen.plan.lifetimes import compute_lifetimes


@st.composite
def random_dags(draw):
    """Graphs of ADD / RESHAPE / SOFTMAX ops over int8 tensors of random sizes, each op reading
    one or two earlier tensors (so branches, joins and long skip connections all occur)."""
    b = GraphBuilder("dag")
    n_inputs = draw(st.integers(1, 2))
    size_of = {}
    tensors = []
    for i in range(n_inputs):
        n = draw(st.integers(1, 64)) * 4
        t = b.input(f"in{i}", (1, n), np.int8, scale=0.1, zero_point=0)
        tensors.append(t)
        size_of[t] = n
    for k in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["ADD", "RESHAPE", "SOFTMAX", "FC"]))
        a = draw(st.sampled_from(tensors))
        if kind == "ADD":
            same = [t for t in tensors if size_of[t] == size_of[a]]
            c = draw(st.sampled_from(same))
            out = b.tensor(f"t{k}", (1, size_of[a]), np.int8, scale=0.1, zero_point=0)
            b.op("ADD", [a, c], [out], "AddOptions", fused_activation_function="NONE")
        elif kind == "RESHAPE":
            out = b.tensor(f"t{k}", (size_of[a], 1), np.int8, scale=0.1, zero_point=0)
            b.op("RESHAPE", [a], [out])
        elif kind == "SOFTMAX":
            out = b.tensor(f"t{k}", (1, size_of[a]), np.int8, scale=1 / 256, zero_point=-128)
            b.op("SOFTMAX", [a], [out], "SoftmaxOptions", beta=1.0)
        else:
            n = draw(st.integers(1, 64)) * 4
            w = b.const(f"w{k}", np.ones((n, size_of[a]), np.int8), scale=0.1)
            out = b.tensor(f"t{k}", (1, n), np.int8, scale=0.1, zero_point=0)
            b.op("FULLY_CONNECTED", [a, w, -1], [out], "FullyConnectedOptions",
                 fused_activation_function="NONE")
        tensors.append(out)
        size_of[out] = size_of[a] if kind != "FC" else n
    outs = draw(st.lists(st.sampled_from(tensors[n_inputs:] or tensors), min_size=1,
                         max_size=2, unique=True))
    for t in outs:
        b.output(t)
    return b.build()


@settings(deadline=None, max_examples=150)
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


@settings(deadline=None, max_examples=150)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(0, 20), st.integers(0, 20)),
                min_size=1, max_size=30))
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
