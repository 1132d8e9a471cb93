"""``mcugen inspect MODEL [--json]``: what is in a model and whether mcugen can deploy it."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from rich.table import Table

from ..errors import UnsupportedOperatorError
from ..model import load_model
from ..model.summary import summarize
from ..codegen.cmsis_nn import kernel_chain
from ._output import console, fmt_int, print_json

NAME = "inspect"
HELP = "show a model's operators, shapes, MACs, quantization and deployability"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite or .onnx file")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--cmsis-nn", metavar="DIR", help="CMSIS-NN source tree (the backend choice "
                   "follows build's: the board's, else CMSIS-NN when a tree is found)")
    from .plan import add_target_arguments
    add_target_arguments(p, "plan the arena line")
    p.add_argument("--optimized", action="store_true",
                   help="list the operators after the graph optimiser (what plan, build and "
                   "verify deploy), each with the original operators it came from, and the "
                   "rewrites applied")


def _shape(facts: list[dict]) -> str:
    return ", ".join(f"{f['dtype']}{f['shape']}" for f in facts)


def _quant(facts: dict) -> str:
    q = facts.get("quantization")
    if q is None:
        return "-"
    if q.get("per_channel"):
        return f"per-channel ({q['channels']})"
    return f"scale {q['scale']:.6g}, zero point {q['zero_point']}"


def run(args: argparse.Namespace) -> int:
    from ..optimize import optimize
    original = load_model(args.model)
    optimized = optimize(original)
    from ..target import resolve_target
    target = resolve_target(args.board, args.cpu, None, args.cmsis_nn)   # build's rule
    chain = kernel_chain(target.kernels, args.cmsis_nn)
    # what is deployed is the optimised graph: its verdict, refusals and plan are the ones shown
    deployed = summarize(optimized.graph, chain=chain)
    if deployed.verdict.endswith("deployable on a core with an FPU"):   # a float island
        from ..ops.float_island import has_fpu
        if not has_fpu(target.cpu, target.board.fpu if target.board is not None else None):
            deployed.verdict += f"; {target.name} ({target.cpu}) has none"
    graph = optimized.graph if args.optimized else original
    summary = deployed if args.optimized else summarize(original)
    summary.kind, summary.verdict = deployed.kind, deployed.verdict
    summary.unsupported = [(i, op, list(optimized.graph.operators[i].source))
                           for i, op in deployed.unsupported]
    extra = {}
    from ..plan import plan_summary
    try:
        extra["plan"] = plan_summary(optimized.graph, kernels=chain, cpu=target.cpu)
    except UnsupportedOperatorError as exc:   # a dtype mcugen does not implement: listed below
        extra["plan"] = {"arena_bytes": None, "line": f"arena: not planned ({exc.message})"}
    extra["optimized"] = optimized.to_json()
    extra["description"] = original.description   # e.g. what the ONNX importer dropped
    if args.json:
        data = asdict(summary)
        data["unsupported"] = [{"index": i, "opcode": op, "original_operators": src}
                               for i, op, src in summary.unsupported]
        data.update(extra)
        print_json(data)
        return 0

    title = (f"{graph.name}: {len(graph.operators)} operators after the optimiser (the model "
             f"has {optimized.operators_before})" if args.optimized
             else f"{graph.name}: {len(graph.operators)} operators")
    table = Table(title=title, title_justify="left")
    columns = [("#", "right"), ("operator", "left"), ("input", "left"), ("output", "left"),
               ("act", "left"), ("MACs", "right"), ("params", "right")]
    if args.optimized:
        columns.insert(1, ("from", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for op, node in zip(summary.ops, graph.operators):
        cells = [str(op.index), op.opcode, _shape(op.inputs), _shape(op.outputs),
                 "" if op.fused_activation == "NONE" else op.fused_activation,
                 fmt_int(op.macs) if op.macs else "", fmt_int(op.param_bytes)
                 if op.param_bytes else ""]
        if args.optimized:
            cells.insert(1, ",".join(map(str, node.source)))
        table.add_row(*cells)
    console.print(table)
    if args.optimized:
        for a in optimized.applied:
            console.print(f"{a.rewrite}: {a.what}")
        if not optimized.applied:
            console.print("the optimiser changed nothing")
    console.print(f"total: {fmt_int(summary.total_macs)} MACs, "
                  f"{fmt_int(summary.total_param_bytes)} parameter bytes")
    for label, facts in (("input", summary.inputs), ("output", summary.outputs)):
        for f in facts:
            console.print(f"{label} '{f['name']}': {f['dtype']}{f['shape']}, {_quant(f)}")
    if "plan" in extra:
        console.print(extra["plan"]["line"])
    if original.description:
        console.print(f"description: {original.description}")
    if summary.unsupported:
        listed = ", ".join(f"{op} at {i}" if [i] == src or args.optimized else
                           f"{op} at {','.join(map(str, src))}"
                           for i, op, src in summary.unsupported)
        console.print(f"not yet deployable: {listed}")
    console.print(f"verdict: {summary.verdict}")
    return 0
