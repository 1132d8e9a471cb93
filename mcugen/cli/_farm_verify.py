"""``mcugen verify MODEL --places A,B,C``: one build, every place's board in parallel, one report.

The firmware is built once (before any place is booked); the places are reserved and acquired
together (all or none, mcugen/device/farm.py); then each board is flashed, greeted, checked to run
that firmware and given the same inputs in its own thread (the work is serial I/O and the
exporter's emulator or silicon, so threads overlap it). A board that mismatches gets its first
diverging layer located on a debug build (built once, flashed to that board only). The report
has one row per board; ``--json`` one object per board under ``boards``; ``--junit`` one
``<testsuite>`` per board (one test case per input). Exit 0 when every board is bit-exact, 1 when
any mismatched, 3 when any board failed (the place is named) — a failure of one board does not
stop the others, and every place is released whatever happens.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import numpy as np
from rich.table import Table

from ..device.verify import junit_xml, locate_divergence, verify_on_device
from ..errors import InfrastructureError, McugenError, VerificationMismatch
from ._deploy import build, connected
from ._output import console, fmt_int


def verify_places(args: argparse.Namespace, tmp: str) -> int:
    from .verify import _samples
    graph, fw = build(args, Path(tmp) / "release")
    samples, _data = _samples(args, graph)
    boards = args.farm_holder.get()
    results: dict[str, object] = {}
    debug_lock = threading.Lock()
    debug_fw: list = []

    def one(board) -> None:
        started = time.monotonic()
        try:
            b_args = argparse.Namespace(**vars(args))
            b_args.farm_board = board
            with connected(b_args, fw, graph) as (device, _info):
                result = verify_on_device(device, graph, samples)
            if result.mismatches and not b_args.no_flash:
                with debug_lock:
                    if not debug_fw:
                        debug_fw.append(build(args, Path(tmp) / "debug", debug_keep_all=True,
                                              graph=graph)[1])
                first = result.mismatches[0]
                with connected(b_args, debug_fw[0], graph) as (device, _info):
                    first.first_layer = locate_divergence(device, graph,
                                                          samples[first.input_index],
                                                          debug_fw[0].rendered.plan.order)
            result.seconds = time.monotonic() - started
            results[board.place] = result
        except McugenError as exc:
            results[board.place] = exc
        except Exception as exc:  # noqa: BLE001 - one line per board, never a traceback
            results[board.place] = InfrastructureError(f"internal error: {type(exc).__name__}: "
                                                       f"{exc}", board.place)

    threads = [threading.Thread(target=one, args=(b,), daemon=True, name=b.place)
               for b in boards]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():                # a short join so Ctrl-C/SIGTERM reach this thread
            t.join(0.2)
    return _report(args, graph, fw, boards, results)


def _report(args, graph, fw, boards, results) -> int:
    table = Table(title=f"{graph.name} on {len(boards)} farm places ({fw.board.name}, "
                  f"{fw.rendered.kernels} kernels)", title_justify="left")
    for col in ("place", "bit-exact", "instructions per inference", "stack used", "seconds"):
        table.add_column(col, justify="left" if col in ("place", "bit-exact") else "right")
    per_board, failures, mismatched = [], [], []
    for b in boards:
        r = results.get(b.place) or InfrastructureError("did not finish", b.place)
        if isinstance(r, McugenError):
            failures.append(r)
            table.add_row(b.place, f"error: {r.message}", "", "", "")
            per_board.append({"place": b.place, "error": str(r)})
            continue
        unit = r.info.counter_unit if r.info else "none"
        count = int(np.median(r.counts)) if r.counts else None
        if not r.bit_exact:
            mismatched.append((b.place, r))
        table.add_row(b.place, "yes" if r.bit_exact else
                      f"NO ({len(r.mismatches)} mismatching outputs)",
                      fmt_int(count) if count is not None else "",
                      f"{fmt_int(r.stack_bytes)} bytes", f"{r.seconds:.1f}")
        entry = {"place": b.place, "n_inputs": r.n_inputs, "bit_exact": r.bit_exact,
                 "mismatches": [vars(m) for m in r.mismatches], "stack_bytes": r.stack_bytes,
                 "seconds": round(r.seconds, 3)}
        if unit in ("instructions", "cycles"):
            entry[f"{unit}_per_inference"] = count
        per_board.append(entry)
    console.print(table)
    if args.json:
        data = {"model": graph.name, "board": fw.board.name, "kernels": fw.rendered.kernels,
                "arena_bytes": fw.rendered.arena_bytes,
                "flash_bytes": fw.size.flash_bytes if fw.size else None,
                "ram_bytes": fw.size.ram_bytes if fw.size else None,
                "bit_exact": not failures and not mismatched, "boards": per_board}
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
    if args.junit:
        Path(args.junit).write_text(_junit(graph.name, fw.board.name, boards, results))
    if failures:
        first = failures[0]
        if len(failures) > 1:
            first.message += f" (and {len(failures) - 1} more failed places)"
        raise first
    if mismatched:
        place, r = mismatched[0]
        m = r.mismatches[0]
        raise VerificationMismatch(f"output {m.output_index} of input {m.input_index} differs "
                                   f"from the simulator in {m.differing_bytes} bytes; first "
                                   f"diverging layer: {m.first_layer or 'not found'}", place)
    return 0


def _junit(model: str, board: str, boards, results) -> str:
    from xml.sax.saxutils import quoteattr
    suites = []
    for b in boards:
        r = results.get(b.place)
        where = f"{board} at place {b.place}"
        if isinstance(r, McugenError) or r is None:
            msg = str(r) if r is not None else "did not finish"
            suites.append(f'<testsuite name={quoteattr(f"mcugen verify {b.place}")} tests="1" '
                          f'errors="1">\n  <testcase classname="mcugen.verify" '
                          f'name={quoteattr(f"{model} on {where}")}><error message='
                          f'{quoteattr(msg)}/></testcase>\n</testsuite>')
            continue
        body = junit_xml(model, where, r).split("\n", 1)[1]       # without the XML declaration
        suites.append(body.replace('<testsuite name="mcugen verify"',
                                   f'<testsuite name={quoteattr(f"mcugen verify {b.place}")}',
                                   1).rstrip())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mcugen verify">\n'
            + "\n".join(suites) + "\n</testsuites>\n")
