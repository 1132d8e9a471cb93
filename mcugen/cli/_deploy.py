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
    from ..codegen.cmsis_nn import preferred_backend
    return preferred_backend(args.kernels, args.cmsis_nn, load_board(args.board))


def build(args: argparse.Namespace, out_dir: str | Path, debug_keep_all: bool = False,
          profile: bool = False, graph: Graph | None = None):
    from ..firmware.build import build_firmware
    graph = graph if graph is not None else load_deployable(args)
    board = load_board(args.board)
    firmware = build_firmware(graph, board, Path(out_dir), kernels=choose_kernels(args),
                              cmsis_nn=args.cmsis_nn, debug_keep_all=debug_keep_all,
                              profile=profile,
                              wide_weights=getattr(args, "wide_weights", False))
    return graph, firmware


def can_flash(args: argparse.Namespace, firmware) -> bool:
    """Whether mcugen itself puts a firmware it built on the board: always, except on a real
    board on --port that it does not flash (--no-flash, or no PlatformIO upload for it)."""
    if not getattr(args, "port", None):
        return True
    return not args.no_flash and firmware.board.run_method == "platformio"


@contextmanager
def connected(args: argparse.Namespace, firmware, graph: Graph):
    """The board running ``firmware``: opened, greeted, and checked to run that firmware (its
    HELLO's model hash, kernels and arena); yields (device, info)."""
    from ..device.runner import open_device
    from ..device.verify import check_identity
    with open_device(firmware, port=getattr(args, "port", None),
                     flash=not getattr(args, "no_flash", False), graph=graph,
                     cmsis_nn=args.cmsis_nn) as device:
        info = device.hello()
        check_identity(info, firmware, graph, getattr(args, "port", None))
        yield device, info


def scratch_dir():
    """A build directory that disappears after run/verify."""
    return tempfile.TemporaryDirectory(prefix="mcugen-")
