"""``mcugen export``: the model as a library for an existing project, or the emulated-board
PlatformIO platform.

    mcugen export MODEL --platformio-lib DIR   PlatformIO library (library.json): copy to lib/
    mcugen export MODEL --c-lib DIR            plain C library with a CMakeLists.txt
    mcugen export --platformio-platform DIR    mcugen's QEMU development platform for PlatformIO
    mcugen export MODEL --tflite OUT.tflite    the model as read (e.g. an imported .onnx) as a
                                               .tflite for TFLM: float, or int8 with --calib
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..errors import InputError
from ..plan.scratch import KERNELS
from ._output import console

NAME = "export"
HELP = "export a model as a PlatformIO or plain C (CMake) library, or the QEMU PlatformIO platform"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?",
                   help=".tflite file (full int8 or 16x8, or float with --calib)")
    p.add_argument("--platformio-lib", metavar="DIR", help="write a PlatformIO library here")
    p.add_argument("--c-lib", metavar="DIR", help="write a plain C library with CMakeLists.txt")
    p.add_argument("--tflite", metavar="OUT",
                   help="write the model as read (an imported .onnx too) as a .tflite file TFLM "
                   "runs: float as float, int8 when quantized with --calib")
    p.add_argument("--platformio-platform", metavar="DIR",
                   help="write mcugen's local PlatformIO platform for the emulated boards")
    p.add_argument("--name", help="C identifier of the model (default: from the file name)")
    p.add_argument("--kernels", default=None, choices=KERNELS,
                   help="backend tried first for each layer (default: the board's, else cmsis-nn "
                   "when a tree is found, else portable, which needs nothing else)")
    p.add_argument("--cmsis-nn", metavar="DIR", help="CMSIS-NN source tree")
    p.add_argument("--calib", metavar="DATA",
                   help="quantize a float model first, calibrated on DATA (as mcugen quantize)")
    p.add_argument("--calib-as-float", action="store_true",
                   help="integer calibration data for a float input: take its values as "
                   "they are (scale 1, zero point 0); without this flag it is refused")
    from .plan import add_target_arguments
    add_target_arguments(p, "generate the library")
    p.add_argument("--no-optimize", action="store_true",
                   help="skip the graph optimiser (mcugen/optimize/): plan the model as read")


def run(args: argparse.Namespace) -> int:
    if not (args.platformio_lib or args.c_lib or args.platformio_platform or args.tflite):
        raise InputError("nothing to export: give --platformio-lib, --c-lib, --tflite or "
                         "--platformio-platform", "export")
    if args.tflite:
        if not args.model:
            raise InputError("a model is needed for --tflite", "export")
        _export_tflite(args)
    if args.platformio_platform:
        from ..platformio import write_local_platform
        path = write_local_platform(args.platformio_platform)
        console.print(f"PlatformIO platform mcugen-qemu written to {path}; use it with "
                      f"'platform = symlink://{path}' and a board such as mcugen_mps2_an386")
    if args.platformio_lib or args.c_lib:
        if not args.model:
            raise InputError("a model is needed for --platformio-lib/--c-lib", "export")
        _export_model(args)
    return 0


def _load(args):
    from ..model import load_model
    graph = load_model(args.model)
    if args.calib:  # a float model becomes full int8 first, exactly as `mcugen quantize` does it
        from ..quantize import quantize_model
        from ..quantize.data import load_samples
        graph = quantize_model(graph, load_samples(
            args.calib, graph, integers_as_float=args.calib_as_float)).graph
    return graph


def _export_tflite(args) -> None:
    """The graph as read (and quantized), before the optimiser: standard TFLite operators only."""
    from ..model import save_model
    from ..npdata import writable_file
    writable_file(args.tflite)
    graph = _load(args)
    save_model(graph, args.tflite)
    kind = "int8" if args.calib or graph.tensors[graph.inputs[0]].quant is not None else "float"
    console.print(f"{args.model} -> {args.tflite}: {len(graph.operators)} operators ({kind})")


def _export_model(args) -> None:
    from ..platformio import export_library
    from ..platformio.project import render_for
    from ..target import resolve_target

    target = resolve_target(args.board, args.cpu, args.kernels, args.cmsis_nn)  # before loading
    graph = _load(args)
    from ..optimize import optimize_graph
    graph = optimize_graph(graph, enabled=not args.no_optimize)
    name = args.name or _identifier(Path(args.model).stem)
    with tempfile.TemporaryDirectory(prefix="mcugen-render-") as staging:
        rendered = render_for(graph, target.board, Path(staging), name=name,
                              kernels=target.kernels, cmsis_nn=args.cmsis_nn, cpu=target.cpu)
        for flavour, out in (("platformio", args.platformio_lib), ("cmake", args.c_lib)):
            if out:
                lib = export_library(rendered, out, flavour=flavour, cmsis_nn=args.cmsis_nn)
                manifest = "library.json" if flavour == "platformio" else "CMakeLists.txt"
                console.print(f"{lib.name}: {len(lib.sources)} sources, {len(lib.headers)} "
                              f"headers, {manifest} in {lib.path}; example: {lib.example}")


def _identifier(stem: str) -> str:
    ident = "".join(c if c.isalnum() else "_" for c in stem).strip("_") or "model"
    return ident if not ident[0].isdigit() else f"m_{ident}"
