"""``mcugen verify MODEL --board B``: build, flash, run N inputs, compare every output byte with
the simulator. Exit 0 when all are identical, 1 on a mismatch, 3 when the rack failed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from rich.progress import Progress
from rich.table import Table

from ..device.verify import junit_xml, locate_divergence, random_inputs, verify_on_device
from ..errors import VerificationMismatch
from ._deploy import (add_deploy_arguments, build, can_flash, connected, load_checked,
                      scratch_dir)
from ._output import console, fmt_int
from .run import load_inputs

NAME = "verify"
HELP = "run inputs on a board and check the outputs equal the simulator's, bit for bit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_deploy_arguments(p)
    given = p.add_mutually_exclusive_group()
    given.add_argument("--inputs", default="10", help="N random inputs, or a .npy/.npz file "
                       "(the file's inputs plus random ones up to 10); a model with state runs "
                       "each after a reset")
    given.add_argument("--sequence", metavar="S",
                       help="stateful models: .npy/.npz whose leading axis is time; the steps "
                       "run in order on one model state after a reset, each output compared")
    p.add_argument("--port", help="serial port URL of a real board (e.g. /dev/ttyACM0)")
    p.add_argument("--no-flash", action="store_true",
                   help="the board on --port already runs this firmware: do not flash it")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")


def _samples(args, graph) -> list[list[np.ndarray]]:
    if args.sequence:
        from .simulate import load_sequence
        return load_sequence(args.sequence, graph)
    if args.inputs.isdigit():
        return random_inputs(graph, int(args.inputs), args.seed)
    given = [load_inputs(args.inputs, graph)]
    return given + random_inputs(graph, max(0, 10 - len(given)), args.seed)


def run(args: argparse.Namespace) -> int:
    with scratch_dir() as tmp:
        return _verify(args, tmp)


def _verify(args: argparse.Namespace, tmp: str) -> int:
    graph = load_checked(args)
    samples = _samples(args, graph)      # the data is checked before anything is built
    graph, fw = build(args, Path(tmp) / "release", graph=graph)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"verifying on {fw.board.name}", total=len(samples))
        with connected(args, fw, graph) as (device, _info):
            result = verify_on_device(device, graph, samples,
                                      progress=lambda n: progress.update(task, completed=n),
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
    table = Table(title=f"{graph.name} on {fw.board.name} ({fw.rendered.kernels} kernels)",
                  title_justify="left")
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
    table.add_row("bit-exact", "yes" if result.bit_exact else
                  f"NO ({len(result.mismatches)} mismatching outputs)")
    console.print(table)
    data = {"model": graph.name, "board": fw.board.name, "kernels": fw.rendered.kernels,
            "n_inputs": result.n_inputs, "bit_exact": result.bit_exact,
            "mismatches": [vars(m) for m in result.mismatches],
            "arena_bytes": fw.rendered.arena_bytes,
            "flash_bytes": fw.size.flash_bytes if fw.size else None,
            "ram_bytes": fw.size.ram_bytes if fw.size else None,
            "stack_bytes": result.stack_bytes}
    if unit in ("instructions", "cycles"):
        data[f"{unit}_per_inference"] = count
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
    if args.junit:
        Path(args.junit).write_text(junit_xml(graph.name, fw.board.name, result))
    if not result.bit_exact:
        m = result.mismatches[0]
        what = "step" if args.sequence else "input"
        raise VerificationMismatch(f"output {m.output_index} of {what} {m.input_index} differs "
                                   f"from the simulator in {m.differing_bytes} bytes; first "
                                   f"diverging layer: {m.first_layer or 'not found'}",
                                   fw.board.name)
    return 0
