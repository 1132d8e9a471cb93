"""What build, run and verify share: the model (quantized first when it is float and calibration
data is given), the board, and the firmware build with its size check."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ..boards import DEFAULT_BOARD, load_board
from ..errors import InputError
from ..plan.scratch import KERNELS
from ..model import load_model
from ..model.graph import Graph
from ..model.summary import classify


def add_deploy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite file: full int8, or float with --calib")
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


def load_deployable(args: argparse.Namespace) -> Graph:
    graph = load_model(args.model)
    kind, verdict = classify(graph)
    if kind in ("float32", "hybrid"):
        if not args.calib:
            raise InputError(f"{verdict}; pass --calib DATA to quantize it first", args.model)
        from ..quantize import quantize_model
        from ..quantize.data import load_samples
        samples = load_samples(args.calib, graph,
                               integers_as_float=getattr(args, "calib_as_float", False))
        graph = quantize_model(graph, samples, io="int8", progress=True).graph
    return graph


def choose_kernels(args: argparse.Namespace) -> str:
    from ..codegen.cmsis_nn import preferred_backend
    return preferred_backend(args.kernels, args.cmsis_nn, load_board(args.board))


def build(args: argparse.Namespace, out_dir: str | Path, debug_keep_all: bool = False):
    from ..firmware.build import build_firmware
    graph = load_deployable(args)
    board = load_board(args.board)
    firmware = build_firmware(graph, board, Path(out_dir), kernels=choose_kernels(args),
                              cmsis_nn=args.cmsis_nn, debug_keep_all=debug_keep_all)
    return graph, firmware


def scratch_dir():
    """A build directory that disappears after run/verify."""
    return tempfile.TemporaryDirectory(prefix="mcugen-")
