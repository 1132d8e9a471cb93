"""``mcugen build MODEL --board B``: sources, a Makefile and the firmware, with a size report
checked against the board."""

from __future__ import annotations

import argparse

from ._deploy import add_deploy_arguments, build
from ._output import console, fmt_int, status

NAME = "build"
HELP = "generate and compile firmware for a board; report flash and RAM"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_deploy_arguments(p)
    p.add_argument("-o", "--output", default=None, help="output directory (default: build/<model>-<board>)")
    p.add_argument("--platformio", metavar="DIR", default=None,
                   help="write a PlatformIO project for the board instead (pio run -t upload)")
    p.add_argument("--report", metavar="DIR", help="write an HTML report (one self-contained "
                   "file) and CSV files into DIR")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    if args.platformio:  # the PlatformIO route: a project, built and flashed by `pio run`
        if args.report:
            from ..errors import InputError
            raise InputError("--report describes mcugen's own build: build without "
                             "--platformio for a report")
        if args.wide_weights:
            from ..errors import InputError
            raise InputError("--wide-weights is not available with --platformio yet: build "
                             "without it, or with mcugen's own build")
        from ..platformio import write_platformio_project
        from ._deploy import choose_kernels, load_deployable
        project = write_platformio_project(load_deployable(args), args.board, args.platformio,
                                           kernels=choose_kernels(args), cmsis_nn=args.cmsis_nn)
        console.print(f"PlatformIO project for {project.board.name} in {project.path} "
                      f"({project.library.kernels} kernels): cd there and run `pio run -t upload`")
        return 0
    out = args.output or str(Path("build") / f"{Path(args.model).stem}-{args.board}")
    from ._deploy import load_deployable
    graph = load_deployable(args)     # a calibration shows its own progress bar first
    with status(f"building {Path(args.model).name} for {args.board}"):
        graph, fw = build(args, out, graph=graph)
    console.print(f"built {fw.elf} for {fw.board.name} ({fw.rendered.kernels} kernels"
                  f"{', ' + fw.rendered.kernels_version if fw.rendered.kernels != 'portable' else ''})")
    console.print(f"arena: {fmt_int(fw.rendered.arena_bytes)} bytes")
    if fw.size:
        s = fw.size
        console.print(f"flash: {fmt_int(s.flash_bytes)} bytes ({fmt_int(s.code_flash_bytes)} code, "
                      f"{fmt_int(s.model_data_bytes)} model data) of {fmt_int(fw.board.flash.length)}")
        console.print(f"RAM: {fmt_int(s.ram_bytes)} bytes (stack reserve "
                      f"{fmt_int(s.stack_bytes)}) of {fmt_int(fw.board.ram.length)}")
    if args.report:
        from ..report import write_build_report
        console.print(f"report: {write_build_report(args.report, graph, fw)}")
    return 0
