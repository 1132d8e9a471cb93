"""``mcugen verify MODEL --board B``: build, flash, run N inputs, compare every output byte with
the simulator. Exit 0 when all are identical, 1 on a mismatch, 3 when the rack failed."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from rich.table import Table
from rich.text import Text

from ..device.verify import junit_xml, locate_divergence, random_inputs, verify_on_device
from ..errors import InputError, VerificationMismatch
from ._deploy import add_deploy_arguments, build, can_flash, connected, scratch_dir
from ._deploy import add_farm_arguments, farm
from ._output import (ALARM, GOOD, console, err_console, fmt_int, progress_bar, status,
                      write_json)

NAME = "verify"
HELP = "run inputs on a board and check the outputs equal the simulator's, bit for bit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_deploy_arguments(p)
    given = p.add_mutually_exclusive_group()
    given.add_argument("--inputs", default="10", help="N random inputs (N >= 1), or real data: "
                       ".npy with a leading N axis, .npz (one array per input name, or 'x'), a "
                       "directory of .npy files, or CSV (one sample per row); float data for an "
                       "integer input is quantized with the input's scale and zero point; a "
                       "model with state runs each after a reset")
    given.add_argument("--sequence", metavar="S",
                       help="stateful models: .npy/.npz whose leading axis is time; the steps "
                       "run in order on one model state after a reset, each step compared")
    p.add_argument("--samples", type=int, metavar="N",
                   help="use at most the first N samples of the --inputs file")
    p.add_argument("--labels", metavar="FILE", help="class labels of the --inputs samples "
                   "(.npy, .npz with 'y', or one integer per line): report top-1 of the "
                   "device, the simulator and the float model")
    p.add_argument("--float-model", metavar="F", help="the float model (.tflite or .onnx) the "
                   "deployed model was quantized from: its top-1 and the device's output SQNR "
                   "against it")
    p.add_argument("--report", metavar="DIR", help="write an HTML report (one self-contained "
                   "file) and CSV files into DIR")
    p.add_argument("--port", help="serial port URL of a real board (e.g. /dev/ttyACM0)")
    add_farm_arguments(p, several=True)
    p.add_argument("--no-flash", action="store_true",
                   help="the board on --port already runs this firmware: do not flash it")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON (- for stdout)")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.set_defaults(check_inputs=_samples)      # read before the build starts (_deploy.build)


def _samples(args, graph):
    """(samples, the dataset they came from or None for random inputs)."""
    if args.sequence:
        if args.labels or args.float_model or args.samples is not None:
            raise InputError("--sequence takes no --labels, --float-model or --samples")
        from .simulate import load_sequence
        return load_sequence(args.sequence, graph), None
    if args.inputs.isdigit():
        if int(args.inputs) < 1:
            raise InputError(f"--inputs {args.inputs} checks nothing: give N >= 1 random "
                             "inputs or a data file")
        if args.labels or args.float_model:
            raise InputError("--labels and --float-model need real data: give --inputs FILE")
        return random_inputs(graph, int(args.inputs), args.seed), None
    if args.samples is not None and args.samples < 1:
        raise InputError("--samples must be at least 1")
    from ..dataset import load_dataset
    data = load_dataset(args.inputs, graph, limit=args.samples)
    return data.samples, data


def _accuracy(args, graph, data, result, labels, float_graph):
    """Top-1 and SQNR on real data when --labels or --float-model ask for them."""
    if data is None or not (args.labels or args.float_model):
        return None
    from ..device.accuracy import float_outputs, measure
    floats = None
    if float_graph is not None:
        floats = float_outputs(float_graph, graph, data.real, args.float_model)
    acc = measure(graph, result.outputs, result.expected, labels, floats, args.float_model)
    if float_graph is not None:
        from ..device.accuracy import layer_sqnr
        acc.layers = layer_sqnr(graph, float_graph, data.samples, data.real)
    return acc


def run(args: argparse.Namespace) -> int:
    with scratch_dir() as tmp, farm(args):
        if getattr(args, "places", None):       # several farm boards in parallel
            from ._farm_verify import verify_places
            return verify_places(args, tmp)
        return _verify(args, tmp)


def _verify(args: argparse.Namespace, tmp: str) -> int:
    from ._deploy import load_checked
    graph = load_checked(args)        # an undeployable layer is named before the data
    samples, data = _samples(args, graph)       # inputs are checked before the build starts
    labels = float_graph = None                 # so are the labels and the float model
    if args.labels:
        from ..dataset import load_labels
        labels = load_labels(args.labels, len(data))
    if args.float_model:
        from ..model import load_model
        float_graph = load_model(args.float_model)
    with status(f"building {graph.name} for {args.board}"):
        graph, fw = build(args, Path(tmp) / "release", graph=graph)
    with progress_bar(f"verifying on {fw.board.name}", len(samples)) as advance:
        with connected(args, fw, graph) as (device, _info):
            result = verify_on_device(device, graph, samples, progress=advance,
                                      sequence=bool(args.sequence))
    if result.mismatches and not can_flash(args, fw):
        # the debug build would have to be on the board: never read tensors from other firmware
        result.mismatches[0].first_layer = (
            f"not located: mcugen cannot flash the debug build onto the board on {args.port} "
            "(--no-flash or no upload method); flash a `mcugen build` debug build yourself")
    elif result.mismatches:   # name the first diverging layer on a debug build keeping every tensor
        first = result.mismatches[0]
        _, debug_fw = build(args, Path(tmp) / "debug", debug_keep_all=True, graph=graph)
        with connected(args, debug_fw, graph) as (device, _info):
            before = samples[:first.input_index] if args.sequence else []
            first.first_layer = locate_divergence(device, graph, samples[first.input_index],
                                                  debug_fw.rendered.plan.order, before)
    unit = result.info.counter_unit if result.info else "none"
    count = int(np.median(result.counts)) if result.counts else None
    accuracy = _accuracy(args, graph, data, result, labels, float_graph)
    out = err_console if args.json == "-" else console     # stdout holds only the JSON then
    table = Table(title=f"{graph.name} on {fw.board.name} ({fw.rendered.kernels} kernels)",
                  title_justify="left", show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("arena", f"{fmt_int(fw.rendered.arena_bytes)} bytes")
    if fw.size:
        table.add_row("flash", f"{fmt_int(fw.size.flash_bytes)} bytes")
        table.add_row("RAM", f"{fmt_int(fw.size.ram_bytes)} bytes")
        table.add_row("stack used", f"{fmt_int(result.stack_bytes)} bytes")
    if count is not None:
        table.add_row(f"{unit} per inference", fmt_int(count))
    table.add_row("sequence steps" if args.sequence else "inputs", str(result.n_inputs))
    table.add_row("bit-exact", verdict_cell(result))
    out.print(table)
    if data is not None:
        out.print(f"data: {len(data)} samples from {data.source}")
        for note in data.notes:
            out.print(f"  {note}")
    if accuracy is not None:
        _print_accuracy(out, accuracy, fw.board.name)
    data_json = {"model": graph.name, "board": fw.board.name, "kernels": fw.rendered.kernels,
                 "n_inputs": result.n_inputs, "bit_exact": result.bit_exact,
                 "mismatches": [vars(m) for m in result.mismatches],
                 "arena_bytes": fw.rendered.arena_bytes,
                 "flash_bytes": fw.size.flash_bytes if fw.size else None,
                 "ram_bytes": fw.size.ram_bytes if fw.size else None,
                 "stack_bytes": result.stack_bytes}
    if unit in ("instructions", "cycles"):
        data_json[f"{unit}_per_inference"] = count
    data_json["data"] = None if data is None else {
        "source": data.source, "samples": len(data), "quantized": data.quantized,
        "notes": data.notes}
    data_json["per_input"] = _per_input(result, unit, accuracy)
    if accuracy is not None:
        acc = accuracy.as_dict()
        acc.pop("per_input")
        data_json["accuracy"] = acc
    if args.json:
        write_json(data_json, args.json)
    if args.junit:
        Path(args.junit).write_text(junit_xml(graph.name, fw.board.name, result))
    if args.report:
        from ..report import write_verify_report
        path = write_verify_report(args.report, graph, fw, data_json, accuracy)
        out.print(f"report: {path}")
    if not result.bit_exact:
        m = result.mismatches[0]
        what = "step" if args.sequence else "input"
        raise VerificationMismatch(f"output {m.output_index} of {what} {m.input_index} differs "
                                   f"from the simulator in {m.differing_bytes} bytes; first "
                                   f"diverging layer: {m.first_layer or 'not found'}",
                                   fw.board.name)
    return 0


def verdict_cell(result) -> Text:
    """'yes', or a 'NO' that stands out (white on red in a terminal; plain text in a pipe)."""
    if result.bit_exact:
        return Text("yes", style=GOOD)
    return Text(f"NO ({len(result.mismatches)} mismatching outputs)", style=ALARM)


def _per_input(result, unit, accuracy) -> list[dict]:
    """One row per input: bit-exact or not, its count, and its classes when measured."""
    differ = {}
    for m in result.mismatches:
        differ[m.input_index] = differ.get(m.input_index, 0) + m.differing_bytes
    rows = []
    for k in range(result.n_inputs):
        row = {"input": k, "bit_exact": k not in differ, "differing_bytes": differ.get(k, 0)}
        if unit in ("instructions", "cycles") and k < len(result.counts):
            row[unit] = result.counts[k]
        if accuracy is not None:
            row.update({key: v for key, v in accuracy.per_input[k].items() if key != "input"})
        rows.append(row)
    return rows


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


def _print_accuracy(out, acc, board: str) -> None:
    table = Table(title=f"on {acc.samples} samples" + (" with labels" if acc.labelled else ""),
                  title_justify="left", show_header=acc.labelled)
    table.add_column("")
    table.add_column("top-1" if acc.labelled else "", justify="right")
    if acc.labelled:
        table.add_row(f"device ({board})", _pct(acc.top1["device"]))
        table.add_row("simulator", _pct(acc.top1["simulator"]))
        if acc.float_model:
            table.add_row("float model", _pct(acc.top1["float"]))
    if acc.output_sqnr_db is not None:
        table.add_row("output SQNR, device vs float",
                      ", ".join("exact" if np.isinf(s) and s > 0 else f"{s:.2f} dB"
                                for s in acc.output_sqnr_db))
        if acc.top1_agreement_float is not None:
            table.add_row("same class as the float model", _pct(acc.top1_agreement_float))
    out.print(table)
    if acc.layers:
        worst = min(acc.layers, key=lambda r: r["sqnr_db"])
        out.print(f"per-layer SQNR vs float ({len(acc.layers)} layers matched by tensor name): "
                  f"worst op {worst['op']} {worst['operator']} {worst['sqnr_db']:.2f} dB")
