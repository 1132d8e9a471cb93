"""The exact minimum-peak order: checked against brute force over every topological order, with
the peak of each order computed by the planner's lifetime code (lifetimes.py, separate from the
search's own peak model)."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from mcugen.model.builder import GraphBuilder
from mcugen.plan import plan_memory, validate_plan
from mcugen.plan.lifetimes import compute_lifetimes
from mcugen.plan.planner import _plan_for_order
from mcugen.plan.reorder import PeakModel, optimal_order
from tests.strategies import branchy_dags, examples


def _bound(graph, order, alignment=4) -> int:
    """Max over steps of live (aligned) buffer bytes, from compute_lifetimes."""
    lifetimes, _ = compute_lifetimes(graph, order)
    live = [0] * len(order)
    for life in lifetimes.values():
        for s in range(life.first, life.last + 1):
            live[s] += (life.size + alignment - 1) // alignment * alignment
    return max(live)


def _topological_orders(graph):
    writer = {t: op.index for op in graph.operators for t in op.outputs}
    deps = [{writer[t] for t in op.inputs if t in writer} for op in graph.operators]

    def extend(prefix, done):
        if len(prefix) == len(deps):
            yield list(prefix)
            return
        for v in range(len(deps)):
            if v not in done and deps[v] <= done:
                prefix.append(v)
                done.add(v)
                yield from extend(prefix, done)
                done.discard(v)
                prefix.pop()
    yield from extend([], set())


@examples(60)
@given(branchy_dags())
def test_optimal_order_is_optimal(graph):
    orders = list(_topological_orders(graph))
    best = min(_bound(graph, o) for o in orders)
    model = PeakModel(graph, {}, 4)
    for o in orders[:50]:          # the search's peak model agrees with the lifetimes code
        assert model.peak(o) == _bound(graph, o), o
    order = optimal_order(graph, {}, 4)
    assert order in orders
    assert _bound(graph, order) == best


@given(branchy_dags(max_ops=12))
def test_chosen_order_never_worse_than_graph_order(graph):
    plan = plan_memory(graph)
    validate_plan(graph, plan)
    original = _plan_for_order(graph, list(range(len(graph.operators))), "portable",
                               "cortex-m4", False)
    assert plan.arena_bytes <= original.arena_bytes


def _two_branches():
    """x -> big1 -> small1, x -> big2 -> small2, small1 + small2: the graph's order runs both big
    layers before either small one."""
    b = GraphBuilder("branches")
    x = b.input("x", (1, 16), np.int8, scale=0.1)

    def fc(name, src, n_in, n_out):
        w = b.const(f"w_{name}", np.ones((n_out, n_in), np.int8), scale=0.1)
        out = b.tensor(name, (1, n_out), np.int8, scale=0.1)
        b.op("FULLY_CONNECTED", [src, w, -1], [out], "FullyConnectedOptions",
             fused_activation_function="NONE")
        return out
    big1 = fc("big1", x, 16, 1000)
    big2 = fc("big2", x, 16, 1000)
    small1 = fc("small1", big1, 1000, 8)
    small2 = fc("small2", big2, 1000, 8)
    y = b.tensor("y", (1, 8), np.int8, scale=0.1)
    b.op("ADD", [small1, small2], [y], "AddOptions", fused_activation_function="NONE")
    b.output(y)
    return b.build()


def test_reordering_lowers_the_peak_of_a_branching_graph():
    graph = _two_branches()
    plan = plan_memory(graph)
    validate_plan(graph, plan)
    # graph order: x + big1 + big2 live at op 1 = 16 + 1000 + 1000
    assert _bound(graph, [0, 1, 2, 3, 4]) == 2016
    # best: run a branch to its end first; peak x + small1 + big2 (+0) = 16 + 8 + 1000, or
    # x + big1 + small1 = 1024 at op 2
    assert plan.order == [0, 2, 1, 3, 4]
    assert plan.lower_bound_bytes == plan.arena_bytes == 1024
