"""Static tensor arena planning: lifetimes, kernel scratch, aliasing, in-place, offsets."""

from __future__ import annotations

from ..model.graph import Graph
from .lifetimes import ALIAS_OPS, INPLACE_OPS
from .planner import Buffer, MemoryPlan, alignment_for, memory_aware_order, plan_memory
from .scratch import CORES, KERNELS, scratch_bytes
from .validate import PlanError, validate_plan

__all__ = ["ALIAS_OPS", "INPLACE_OPS", "CORES", "KERNELS", "Buffer", "MemoryPlan", "PlanError",
           "alignment_for", "memory_aware_order", "plan_memory", "plan_summary", "scratch_bytes",
           "validate_plan"]


def plan_summary(graph: Graph, kernels: str | tuple[str, ...] = "portable",
                 cpu: str = "cortex-m4") -> dict:
    """The plan's headline numbers, as ``mcugen inspect`` shows them."""
    plan = plan_memory(graph, kernels=kernels, cpu=cpu)
    validate_plan(graph, plan)
    peak = graph.operators[plan.peak_op].opcode if graph.operators else "-"
    kernels = plan.kernels
    return {"arena_bytes": plan.arena_bytes, "lower_bound_bytes": plan.lower_bound_bytes,
            "peak_op": plan.peak_op, "kernels": kernels, "cpu": cpu,
            "line": f"arena: {plan.arena_bytes:,} bytes ({kernels} kernels, {cpu}; lower bound "
                    f"{plan.lower_bound_bytes:,}, peak at op {plan.peak_op} {peak})"}
