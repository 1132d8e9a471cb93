"""``mcugen plan MODEL``: the static tensor arena, before anything is built."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from ..codegen.cmsis_nn import kernel_chain
from ..errors import InputError
from ..model import load_model
from ..plan import CORES, KERNELS, plan_memory, validate_plan
from ..plan.svg import plan_svg
from ._output import console, fmt_int, print_json

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
    p.add_argument("--svg", metavar="FILE", help="write a picture of the plan")


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


def fit(graph, plan, board) -> dict:
    """Whether the model can fit ``board``, before anything is built: RAM needs at least the
    arena and the board's stack reserve (the firmware adds its own buffers: `build` reports the
    exact figure); flash at least the model's parameters where every layer keeps its weights as
    stored (mcugen's kernels lay them out anew, so they are not counted there)."""
    ram_min = plan.arena_bytes + board.stack_bytes
    params = sum(t.nbytes for t in graph.tensors if t.is_constant)
    problems = []
    if ram_min > board.ram.length:
        problems.append(f"RAM needs at least {fmt_int(ram_min)} bytes (arena "
                        f"{fmt_int(plan.arena_bytes)}, stack {fmt_int(board.stack_bytes)}), the "
                        f"board has {fmt_int(board.ram.length)}")
    if "mcugen" not in plan.backends.values() and params > board.flash.length:
        problems.append(f"flash needs at least {fmt_int(params)} bytes (the parameters), the "
                        f"board has {fmt_int(board.flash.length)}")
    line = (f"fits {board.name}: RAM at least {fmt_int(ram_min)} of {fmt_int(board.ram.length)}"
            f" bytes, parameters {fmt_int(params)} of {fmt_int(board.flash.length)} flash"
            if not problems else
            f"model does not fit {board.name}: " + "; ".join(problems))
    return {"board": board.name, "fits": not problems, "ram_min_bytes": ram_min,
            "ram_bytes": board.ram.length, "parameter_bytes": params,
            "flash_bytes": board.flash.length, "line": line}


def run(args: argparse.Namespace) -> int:
    from ..optimize import optimize_graph
    graph = optimize_graph(load_model(args.model), enabled=not args.no_optimize)
    # one rule for board, core and kernels in every command (mcugen/target.py): plan --board X
    # plans what build --board X links
    from ..target import resolve_target
    target = resolve_target(args.board, args.cpu, args.kernels, args.cmsis_nn)
    cpu, kernels = target.cpu, target.kernels
    plan = plan_memory(graph, kernels=kernel_chain(kernels, args.cmsis_nn), cpu=cpu)
    validate_plan(graph, plan)
    fits = fit(graph, plan, target.board) if target.board and not target.board.is_host else None
    if args.svg:
        Path(args.svg).write_text(plan_svg(graph, plan))
    if args.json:
        data = plan.to_json()
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
    for col, justify in (("buffer", "left"), ("kind", "left"), ("offset", "right"),
                         ("bytes", "right"), ("ops", "right"), ("backend", "left")):
        table.add_column(col, justify=justify)
    for b in plan.buffers:
        table.add_row(b.name[:48], b.kind, fmt_int(b.offset), fmt_int(b.size),
                      f"{plan.order[b.first_op]}-{plan.order[b.last_op]}",
                      plan.backends.get(b.op, "") if b.kind == "scratch" else "")
    console.print(table)
    peak = graph.operators[plan.peak_op].opcode if graph.operators else "-"
    console.print(f"arena: {fmt_int(plan.arena_bytes)} bytes; lower bound "
                  f"{fmt_int(plan.lower_bound_bytes)} bytes (peak at op {plan.peak_op} {peak}); "
                  f"alignment {plan.alignment}")
    if plan.order != sorted(plan.order):
        console.print(f"execution order changed to lower the peak: {plan.order}")
    if fits is not None and fits["fits"]:
        console.print(fits["line"])
    return _fit_verdict(fits, graph)


def _fit_verdict(fits, graph) -> int:
    """A model that cannot fit the board is refused as `build` refuses it (exit 2)."""
    if fits is not None and not fits["fits"]:
        raise InputError(fits["line"], graph.name)
    return 0
