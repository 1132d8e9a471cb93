"""``mcugen plan MODEL``: the static tensor arena, before anything is built."""

from __future__ import annotations

import argparse

from rich.table import Table

from ..codegen.cmsis_nn import kernel_chain
from ..errors import InputError
from ..model import load_model
from ..plan import CORES, KERNELS, plan_memory, validate_plan
from ..plan.svg import plan_svg
from ._output import console, err_console, fmt_int, print_json

NAME = "plan"
HELP = "plan the static tensor arena: size, lower bound, per-buffer offsets and lifetimes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite file (int8 or 16x8)")
    add_target_arguments(p)
    p.add_argument("--kernels", choices=KERNELS, default=None,
                   help="backend tried first for each layer, whose scratch is planned (default: "
                   "cmsis-nn when a tree is found, else portable)")
    p.add_argument("--cmsis-nn", metavar="DIR", help="CMSIS-NN source tree")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--no-optimize", action="store_true",
                   help="skip the graph optimiser (mcugen/optimize/): plan the model as read")
    p.add_argument("--svg", metavar="FILE", help="write a picture of the plan: every buffer "
                   "labelled, operators along the time axis, peak and lower bound marked")
    p.add_argument("--report", metavar="DIR", help="write an HTML report (one self-contained "
                   "file) and CSV files into DIR")


def add_target_arguments(p: argparse.ArgumentParser, what: str = "plan") -> None:
    """``--board`` and ``--cpu``, spelled alike in plan, generate, export and inspect (the rule
    of :mod:`mcugen.target`)."""
    p.add_argument("--board", default=None, help=f"board to {what} for: its core and its "
                   "preferred kernels (default mps2-an386 unless --cpu is given; see `mcugen "
                   "boards`)")
    p.add_argument("--cpu", choices=CORES, default=None,
                   help="a core without a board (its CMSIS-NN code path and alignment)")


def resolve_cpu(board: str | None, cpu: str | None) -> str:
    from ..target import resolve_target
    return resolve_target(board, cpu).cpu


def run(args: argparse.Namespace) -> int:
    from ..optimize import optimize_graph
    graph = optimize_graph(load_model(args.model), enabled=not args.no_optimize)
    # one rule for board, core and kernels in every command (mcugen/target.py): plan --board X
    # plans what build --board X links
    from ..target import board_fit, resolve_target
    target = resolve_target(args.board, args.cpu, args.kernels, args.cmsis_nn)
    cpu, kernels = target.cpu, target.kernels
    plan = plan_memory(graph, kernels=kernel_chain(kernels, args.cmsis_nn), cpu=cpu)
    validate_plan(graph, plan)
    board = target.board
    fits = board_fit(graph, plan, board) if board is not None and not board.is_host else None
    if args.svg:
        from ..npdata import writable_file
        writable_file(args.svg, "--svg file").write_text(plan_svg(graph, plan))
    report = None
    if args.report:
        from ..report import write_plan_report
        report = write_plan_report(args.report, graph, plan, board)
        if args.json:
            err_console.print(f"report: {report}")
    if args.json:
        data = plan.to_json()
        data["state"] = [{"tensor": t, "offset": o, "bytes": n, "fill": f}
                         for t, o, n, f in plan.state_tensors(graph)]
        # the optimised graph's operators, each with the model's operators it came from
        data["operators"] = [{"index": op.index, "opcode": op.opcode,
                              "original_operators": list(op.source)}
                             for op in graph.operators]
        data.update(board=target.board.name if target.board else None, cpu=cpu, kernels=kernels)
        if fits is not None:
            data["fit"] = fits
        print_json(data)
        return _fit_verdict(fits, graph)
    where = f"{target.board.name}, {cpu}" if target.board else cpu
    table = Table(title=f"{graph.name}: arena plan ({kernels} kernels, {where})",
                  title_justify="left")
    # whole names in a pipe (the console does not wrap there); cut to fit a terminal
    table.add_column("buffer", no_wrap=True, overflow="ellipsis")
    for col, justify in (("kind", "left"), ("offset", "right"),
                         ("bytes", "right"), ("ops", "right"), ("backend", "left")):
        table.add_column(col, justify=justify)
    for b in plan.buffers:
        kind = "state" if b.kind == "tensor" and b.offset < plan.state_bytes else b.kind
        table.add_row(b.name, kind, fmt_int(b.offset), fmt_int(b.size),
                      f"{plan.order[b.first_op]}-{plan.order[b.last_op]}",
                      plan.backends.get(b.op, "") if b.kind == "scratch" else "")
    console.print(table)
    peak = graph.operators[plan.peak_op].opcode if graph.operators else "-"
    console.print(f"arena: {fmt_int(plan.arena_bytes)} bytes; lower bound "
                  f"{fmt_int(plan.lower_bound_bytes)} bytes (peak at op {plan.peak_op} {peak}); "
                  f"alignment {plan.alignment}")
    if plan.state_bytes:
        console.print(f"state: {fmt_int(plan.state_bytes)} bytes at offset 0 (variable tensors, "
                      "kept across invocations, never reused; reset to their initial values)")
    if plan.order != sorted(plan.order):
        console.print(f"execution order changed to lower the peak: {plan.order}")
    if report:
        console.print(f"report: {report}")
    if fits is not None and fits["fits"]:
        console.print(fits["line"])
    return _fit_verdict(fits, graph)


def _fit_verdict(fits, graph) -> int:
    """A model that cannot fit the board is refused as `build` refuses it (exit 2)."""
    if fits is not None and not fits["fits"]:
        raise InputError(fits["line"], graph.name)

