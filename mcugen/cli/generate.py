"""``mcugen generate MODEL -o DIR``: the C sources only, for your own build system."""

from __future__ import annotations

import argparse

from ..codegen import render_model
from ..model import load_model
from ..plan import KERNELS
from ..target import resolve_target
from .plan import add_target_arguments
from ._output import console, fmt_int

NAME = "generate"
HELP = "write the model as C sources (model.h/.c, weights.c, kernels) into a directory"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="full-integer .tflite file")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--name", help="C identifier prefix (default: the model file's name)")
    p.add_argument("--kernels", choices=KERNELS, default=None,
                   help="backend tried first for each layer (default: the board's, else "
                   "cmsis-nn when a tree is found, else portable)")
    p.add_argument("--cmsis-nn", metavar="DIR", help="CMSIS-NN source tree")
    add_target_arguments(p, "generate")
    p.add_argument("--no-optimize", action="store_true",
                   help="skip the graph optimiser (mcugen/optimize/): plan the model as read")
    p.add_argument("--wide-weights", action="store_true",
                   help="mcugen kernels: store conv/FC weights pre-widened to int16 (about "
                   "twice their flash) so the fused tiles skip the widening (faster)")


def run(args: argparse.Namespace) -> int:
    from ..optimize import optimize_graph
    graph = optimize_graph(load_model(args.model), enabled=not args.no_optimize)
    target = resolve_target(args.board, args.cpu, args.kernels, args.cmsis_nn)
    b = target.board
    rendered = render_model(graph, args.output, name=args.name, kernels=target.kernels,
                            cpu=target.cpu,
                            cmsis_nn=args.cmsis_nn, wide_weights=args.wide_weights,
                            fpu=b.fpu if b is not None else None, target=target.name)
    console.print(f"wrote {len(rendered.sources) + len(rendered.headers)} files to "
                  f"{rendered.out_dir} ({rendered.kernels} kernels, arena "
                  f"{fmt_int(rendered.arena_bytes)} bytes); call "
                  f"{rendered.name}_invoke() from {rendered.name}_model.h")
    return 0
