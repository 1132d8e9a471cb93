"""``mcugen boards``: the boards mcugen builds for."""

from __future__ import annotations

import argparse

from rich.table import Table

from ..boards import DEFAULT_BOARD, all_boards
from ._output import console, print_json

NAME = "boards"
HELP = "list the boards (emulated, real, host)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    boards = all_boards()
    if args.json:
        print_json([{"name": b.name, "cpu": b.cpu, "emulated": b.emulated,
                     "experimental": b.experimental, "flash_bytes": b.flash.length,
                     "ram_bytes": b.ram.length, "counter": b.counter_unit, "run": b.run_method}
                    for b in boards.values()])
        return 0
    table = Table(title="boards", title_justify="left")
    for col in ("board", "core", "flash", "RAM", "runs on", "counts", "status"):
        table.add_column(col)
    for b in boards.values():
        status = "experimental" if b.experimental else "tested"
        if b.name == DEFAULT_BOARD:
            status += " (default)"
        table.add_row(b.name, b.cpu, f"{b.flash.length // 1024:,} KiB" if not b.is_host else "-",
                      f"{b.ram.length // 1024:,} KiB" if not b.is_host else "-",
                      {"qemu": f"QEMU {b.qemu_machine}", "host": "this machine (pty)",
                       "platformio": "hardware (PlatformIO)"}.get(b.run_method, b.run_method),
                      b.counter_unit, status)
    console.print(table)
    return 0
