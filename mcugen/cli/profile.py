"""``mcugen profile MODEL --board B [--input FILE] [--json]``: one inference on a board built with
per-layer counter stamps (MCUGEN_PROFILE), and what each layer cost: operator, shapes, backend,
MACs, instructions (cycles on silicon), instructions per MAC and share of the whole.

The firmware stamps its counter before every layer and after the last; a layer's count is the
difference of its two stamps less the cost of one stamp (measured on the board before the
invoke). The layers' sum is the whole inference's count less the invoke's own code outside any
layer (entry, the input/output copy calls, return), and each layer is exact to the counter's
resolution (one tick, 3.2 instructions on the MPS2 timers under -icount; a layer that runs no code
may measure a tick below zero and is shown as 0):
|whole - sum| ≤ :data:`OVERHEAD_BASE` + :data:`OVERHEAD_PER_IO` × (inputs + outputs) +
:data:`OVERHEAD_PER_LAYER` × layers, checked by the tests."""

from __future__ import annotations

import argparse

import numpy as np
from rich.table import Table

from ..errors import InfrastructureError
from ..model.graph import Graph
from ..model.summary import op_macs
from ..ops.variants import kernel_variant
from ._deploy import add_deploy_arguments, build, connected, load_deployable, scratch_dir
from ._deploy import add_farm_arguments, farm
from ._output import console, fmt_int, print_json

NAME = "profile"
HELP = "per-layer instructions (cycles on silicon) of one inference on a board"

# the documented bound on |whole inference - sum of layers|, in instructions (or cycles)
OVERHEAD_BASE = 64
OVERHEAD_PER_IO = 32
# the counter's resolution per layer (a tick; negative empty layers shown as 0)
OVERHEAD_PER_LAYER = 4


def overhead_bound(graph: Graph) -> int:
    return (OVERHEAD_BASE + OVERHEAD_PER_IO * (len(graph.inputs) + len(graph.outputs))
            + OVERHEAD_PER_LAYER * len(graph.operators))


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_deploy_arguments(p)
    p.add_argument("--input", help=".npy (one input) or .npz (one array per input); default: "
                   "the peer's input, np.random.default_rng(0) bytes")
    p.add_argument("--port", help="serial port URL of a real board (e.g. /dev/ttyACM0)")
    add_farm_arguments(p)
    p.add_argument("--no-flash", action="store_true",
                   help="the board on --port already runs this model's profiling build")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--report", metavar="DIR", help="write an HTML report (one self-contained "
                   "file) and CSV files into DIR")


def peer_input(graph: Graph) -> list[np.ndarray]:
    """The peer benchmark's input: np.random.default_rng(0) bytes (int8: integers in
    [-128, 128); float inputs: standard normal)."""
    rng = np.random.default_rng(0)
    sample = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if np.issubdtype(t.dtype, np.floating):
            sample.append(rng.standard_normal(t.shape).astype(t.dtype))
        else:
            info = np.iinfo(t.dtype)
            sample.append(rng.integers(info.min, info.max + 1, size=t.size, dtype=t.dtype)
                          .reshape(t.shape))
    return sample


def profile_layers(graph: Graph, firmware, info, inference, profile) -> dict:
    """The report: one row per layer in execution order, and the totals."""
    from ..device.protocol import instructions
    plan = firmware.rendered.plan
    unit = info.counter_unit if info.ticks_per_instruction > 0 else None
    layer_ticks = profile.layer_ticks() if profile is not None else None
    whole = None
    if unit:
        n = len(plan.order)
        whole = instructions(inference, info) - int(round(
            (n + 1) * profile.stamp_ticks / info.ticks_per_instruction))
    rows = []
    for k, op_index in enumerate(plan.order):
        op = graph.operators[op_index]
        macs = op_macs(graph, op)
        row = {"layer": k, "op": op.index, "original_operators": list(op.source),
               "operator": op.opcode,
               "inputs": [list(graph.tensors[i].shape) for i in op.inputs
                          if i >= 0 and not graph.tensors[i].is_constant],
               "outputs": [list(graph.tensors[i].shape) for i in op.outputs],
               "backend": plan.backends.get(op.index),
               "variant": kernel_variant(graph, op, plan.backends.get(op.index)), "macs": macs}
        if unit:
            # a tick can be several instructions (3.2 on the MPS2 timers under -icount): an
            # empty layer may measure a tick below zero; it is shown as 0
            count = max(0, int(round(layer_ticks[k] / info.ticks_per_instruction)))
            row[unit] = count
            row[f"{unit}_per_mac"] = round(count / macs, 3) if macs else None
            row["share"] = round(count / whole, 6) if whole else None
        rows.append(row)
    data = {"model": graph.name, "board": firmware.board.name,
            "kernels": firmware.rendered.kernels, "unit": unit, "layers": rows,
            "total_macs": sum(r["macs"] for r in rows)}
    if unit:
        data[f"{unit}_per_inference"] = whole
        data[f"{unit}_sum_of_layers"] = sum(r[unit] for r in rows)
        data["overhead_bound"] = overhead_bound(graph)
    return data


def run(args: argparse.Namespace) -> int:
    graph = load_deployable(args)
    if args.input:
        from .run import load_inputs
        sample = load_inputs(args.input, graph)
    else:
        sample = peer_input(graph)
    from ..device.verify import run_on_device
    with scratch_dir() as tmp, farm(args):
        _, fw = build(args, tmp, profile=True, graph=graph)
        with connected(args, fw, graph) as (device, info):
            if not info.profiling:
                raise InfrastructureError("the board's firmware was built without per-layer "
                                          "profiling (MCUGEN_PROFILE): flash the build "
                                          "`mcugen profile` makes", args.port or fw.board.name)
            _, inference = run_on_device(device, graph, sample)
            profile = device.profile()
    data = profile_layers(graph, fw, info, inference, profile)
    report = None
    if args.report:
        from ..report import write_profile_report
        report = write_profile_report(args.report, graph, fw, data)
    if args.json:
        print_json(data)
        if report:
            from ._output import err_console
            err_console.print(f"report: {report}")
        return 0
    _print(data)
    if report:
        console.print(f"report: {report}")
    return 0


def _print(data: dict) -> None:
    unit = data["unit"]
    table = Table(title=f"{data['model']} on {data['board']} ({data['kernels']} kernels)",
                  title_justify="left")
    for col, justify in (("#", "right"), ("op", "right"), ("operator", "left"),
                         ("shapes", "left"), ("backend", "left"), ("MACs", "right")):
        table.add_column(col, justify=justify)
    if unit:
        for col in (unit, f"{unit}/MAC", "share"):
            table.add_column(col, justify="right")
    for r in data["layers"]:
        shapes = " -> ".join([", ".join(map(_shape, r["inputs"])) or "-",
                              ", ".join(map(_shape, r["outputs"]))])
        origin = r.get("original_operators", [r["op"]])
        op_cell = str(r["op"]) if origin == [r["op"]] else \
            f"{r['op']} (model {','.join(map(str, origin))})"
        backend = r["backend"] or ""
        if r.get("variant"):
            backend += f" ({r['variant']})"
        cells = [str(r["layer"]), op_cell, r["operator"], shapes, backend,
                 fmt_int(r["macs"]) if r["macs"] else ""]
        if unit:
            cells += [fmt_int(r[unit]),
                      f"{r[f'{unit}_per_mac']:.2f}" if r[f"{unit}_per_mac"] is not None else "",
                      f"{100 * r['share']:.1f} %" if r["share"] is not None else ""]
        table.add_row(*cells)
    console.print(table)
    if unit:
        console.print(f"whole inference: {fmt_int(data[f'{unit}_per_inference'])} {unit}; sum "
                      f"of layers {fmt_int(data[f'{unit}_sum_of_layers'])} (the invoke's own "
                      f"code outside the layers: at most {data['overhead_bound']})")
    else:
        console.print(f"{data['board']} has no counter: layer order, backends and MACs only")
    console.print(f"total: {fmt_int(data['total_macs'])} MACs")


def _shape(shape: list[int]) -> str:
    return "x".join(map(str, shape)) or "scalar"
