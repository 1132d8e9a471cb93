"""Tensor arena per model: mcugen's plan, its proven lower bound, and TFLM + CMSIS-NN's
arena_used_bytes on the same core (which also holds TFLM's runtime structures).

    python benchmarks/plan_arena.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._peer import MODELS, model_path, peer  # noqa: E402
from mcugen.model import load_model  # noqa: E402
from mcugen.plan import plan_memory, validate_plan  # noqa: E402

CASES = [("cortex-m4", "cmsis-nn", "mps2-an386"), ("cortex-m4", "portable", "mps2-an386"),
         ("cortex-m55", "cmsis-nn", "mps3-an547")]
EXTRA = ["tflm/hello_world_int8.tflite", "tflm/micro_speech_int8.tflite"]


def main() -> None:
    table = Table(title="tensor arena (bytes)", title_justify="left")
    for col in ("model", "core", "kernels", "mcugen arena", "lower bound", "arena / bound",
                "TFLM arena*", "mcugen / TFLM"):
        table.add_column(col, justify="left" if col in ("model", "core", "kernels") else "right")
    for rel in MODELS + EXTRA:
        if not model_path(rel).exists():
            continue
        graph = load_model(model_path(rel))
        for cpu, kernels, board in CASES:
            plan = plan_memory(graph, kernels=kernels, cpu=cpu)
            validate_plan(graph, plan)
            tflm = peer(rel, board).get("arena_used_bytes")
            table.add_row(graph.name, cpu, kernels, f"{plan.arena_bytes:,}",
                          f"{plan.lower_bound_bytes:,}",
                          f"{plan.arena_bytes / plan.lower_bound_bytes:.3f}",
                          f"{tflm:,}" if tflm else "-",
                          f"{plan.arena_bytes / tflm:.3f}" if tflm else "-")
    Console(width=160).print(table)
    print("* TFLM's arena_used_bytes includes its runtime structures, not only tensors.")


if __name__ == "__main__":
    main()
