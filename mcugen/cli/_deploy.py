"""What build, run and verify share: the model (quantized first when it is float and calibration
data is given), the board, and the firmware build with its size check."""

from __future__ import annotations

import argparse
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..boards import DEFAULT_BOARD, load_board
from ..errors import InputError
from ..plan.scratch import KERNELS
from ..model import load_model
from ..model.graph import Graph
from ..model.summary import classify
from ..ops.registry import refuse_unimplemented_dtypes


def add_deploy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite or .onnx file: full int8 or 16x8, or float with --calib")
    p.add_argument("--board", default=DEFAULT_BOARD, help=f"board (default {DEFAULT_BOARD}; "
                   "see `mcugen boards`)")
    p.add_argument("--kernels", choices=KERNELS, default=None,
                   help="kernel library (default: cmsis-nn when found, else portable)")
    p.add_argument("--cmsis-nn", metavar="DIR", help="CMSIS-NN source tree")
    p.add_argument("--calib", metavar="DATA", help="quantize a float model first with this "
                   "calibration data (see `mcugen quantize`)")
    p.add_argument("--calib-as-float", action="store_true",
                   help="integer calibration data for a float input: take its values as "
                   "they are (scale 1, zero point 0); without this flag it is refused")
    p.add_argument("--no-optimize", action="store_true",
                   help="skip the graph optimiser (mcugen/optimize/): plan the model as read")
    p.add_argument("--wide-weights", action="store_true",
                   help="mcugen kernels: store conv/FC weights pre-widened to int16 (about "
                   "twice their flash) so the fused tiles skip the widening (faster)")


def add_farm_arguments(p: argparse.ArgumentParser, several: bool = False) -> None:
    """--place/--coordinator (and --places for verify): a board booked through a labgrid farm
    (mcugen/device/farm.py)."""
    g = p.add_argument_group("labgrid farm (pip install 'mcugen[farm]')")
    g.add_argument("--place", metavar="NAME", help="reserve and acquire this labgrid place, "
                   "flash it, run over its NetworkSerialPort, release it")
    if several:
        g.add_argument("--places", metavar="A,B,C", help="several places (names or patterns "
                       "such as 'emu-*'), in parallel, one report")
    g.add_argument("--coordinator", metavar="ADDRESS", help="labgrid coordinator host:port "
                   "(default $LG_COORDINATOR, else 127.0.0.1:20408)")
    g.add_argument("--place-timeout", metavar="SECONDS", type=float, default=600.0,
                   help="wait at most this long for a busy place, then exit 3 (default 600)")


@contextmanager
def farm(args: argparse.Namespace):
    """Holds the command's labgrid places (acquired by the first `connected`, after the build)
    and releases them on every exit path; without --place/--places, nothing."""
    places = getattr(args, "places", None)
    wanted = [p.strip() for p in places.split(",") if p.strip()] if places else \
        ([args.place] if getattr(args, "place", None) else [])
    if places and getattr(args, "place", None):
        raise InputError("give --place or --places, not both")
    if getattr(args, "port", None) and wanted:
        raise InputError("give --port or --place, not both")
    if not wanted:
        yield None
        return
    from ..device.farm import Holder
    holder = args.farm_holder = Holder(args.coordinator, wanted, args.place_timeout,
                                       load_board(args.board).name)
    try:
        holder.check()          # reach the farm and name the places before building
        yield holder
    finally:
        holder.close()


def load_deployable(args: argparse.Namespace) -> Graph:
    graph = load_model(args.model)
    refuse_unimplemented_dtypes(graph, "the code generator")
    kind, verdict = classify(graph)
    if kind in ("float32", "hybrid"):
        if not args.calib:
            raise InputError(f"{verdict}; pass --calib DATA to quantize it first", args.model)
        from ..quantize import quantize_model
        from ..quantize.data import load_samples
        samples = load_samples(args.calib, graph,
                               integers_as_float=getattr(args, "calib_as_float", False))
        graph = quantize_model(graph, samples, io="int8", progress=True).graph
    from ..optimize import optimize_graph
    return optimize_graph(graph, enabled=not getattr(args, "no_optimize", False))


def load_checked(args: argparse.Namespace) -> Graph:
    """The deployable graph, every layer's backend chosen (an operator no backend generates is
    refused here, naming it) before any input data is read or anything is built."""
    from ..codegen.cmsis_nn import kernel_chain
    from ..ops.registry import assign_backends
    graph = load_deployable(args)
    assign_backends(graph, kernel_chain(choose_kernels(args), args.cmsis_nn))
    return graph


def choose_kernels(args: argparse.Namespace) -> str:
    """The first backend by the one rule of :mod:`mcugen.target` (plan, generate, export too)."""
    from ..target import resolve_target
    return resolve_target(args.board, None, args.kernels, args.cmsis_nn).kernels


def build(args: argparse.Namespace, out_dir: str | Path, debug_keep_all: bool = False,
          profile: bool = False, graph: Graph | None = None):
    """Firmware for ``args``. Everything a user gave is checked before anything compiles: the
    board, the CMSIS-NN tree, the model, and the command's own inputs (``check_inputs``, set by
    the command with ``set_defaults``: a wrong input file is refused in a second, not after the
    build)."""
    from ..firmware.build import build_firmware
    board = load_board(args.board)
    kernels = choose_kernels(args)
    if graph is None:
        graph = load_deployable(args)
        from ..codegen import check_deployable
        check_deployable(graph, kernels, args.cmsis_nn, board=board)   # before the inputs
        check = getattr(args, "check_inputs", None)
        if check is not None:
            check(args, graph)
    firmware = build_firmware(graph, board, Path(out_dir), kernels=kernels,
                              cmsis_nn=args.cmsis_nn, debug_keep_all=debug_keep_all,
                              profile=profile,
                              wide_weights=getattr(args, "wide_weights", False))
    return graph, firmware


def can_flash(args: argparse.Namespace, firmware) -> bool:
    """Whether mcugen itself puts a firmware it built on the board: always, except on a real
    board on --port that it does not flash (--no-flash, or no PlatformIO upload for it)."""
    if getattr(args, "farm_holder", None) is not None:
        return not args.no_flash
    if not getattr(args, "port", None):
        return True
    return not args.no_flash and firmware.board.run_method == "platformio"


@contextmanager
def connected(args: argparse.Namespace, firmware, graph: Graph):
    """The board running ``firmware``: opened, greeted, and checked to run that firmware (its
    HELLO's model hash, kernels and arena); yields (device, info)."""
    from ..device.runner import open_device
    from ..device.verify import check_identity
    holder = getattr(args, "farm_holder", None)
    if holder is not None:
        from ..device.farm import open_farm_device
        board = getattr(args, "farm_board", None) or holder.get()[0]
        with open_farm_device(board, firmware, flash=not getattr(args, "no_flash", False)) \
                as device:
            info = device.hello()
            check_identity(info, firmware, graph, board.place)
            yield device, info
        return
    with open_device(firmware, port=getattr(args, "port", None),
                     flash=not getattr(args, "no_flash", False), graph=graph,
                     cmsis_nn=args.cmsis_nn) as device:
        info = device.hello()
        check_identity(info, firmware, graph, getattr(args, "port", None))
        yield device, info


def scratch_dir():
    """A build directory that disappears after run/verify."""
    return tempfile.TemporaryDirectory(prefix="mcugen-")
