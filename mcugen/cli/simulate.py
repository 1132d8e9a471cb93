"""``mcugen simulate MODEL --input X.npy``: what the device will compute, on the host."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..model import load_model
from ..sim import Simulator
from ._output import console
from .run import load_inputs

NAME = "simulate"
HELP = "run a model in mcugen's bit-exact simulator (TFLM reference semantics)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite file (int8 or float32)")
    p.add_argument("--input", required=True, help=".npy (one input) or .npz (one array per input)")
    p.add_argument("--output", help="write the output as .npy (.npz when there are several)")
    p.add_argument("--dump", metavar="DIR", help="write every tensor as DIR/<index>_<name>.npy")


def _file_name(index: int, name: str) -> str:
    return f"{index:04d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)[:80] or 'tensor'}.npy"


def run(args: argparse.Namespace) -> int:
    graph = load_model(args.model)
    if not Path(args.input).is_file():
        raise InputError("input file not found", args.input)
    inputs = load_inputs(args.input, graph)
    result = Simulator(graph).run(inputs, keep_all=bool(args.dump))
    if args.dump:
        out = Path(args.dump)
        out.mkdir(parents=True, exist_ok=True)
        for index, value in sorted(result.tensors.items()):
            np.save(out / _file_name(index, graph.tensors[index].name), value)
        console.print(f"wrote {len(result.tensors)} tensors to {out}")
    if args.output:
        if len(result.outputs) == 1:
            np.save(args.output, result.outputs[0])
        else:
            np.savez(args.output, **{graph.tensors[i].name: v
                                     for i, v in zip(graph.outputs, result.outputs)})
    else:
        for k, value in enumerate(result.outputs):
            console.print(f"output {k}: {value.ravel().tolist()}")
    return 0
