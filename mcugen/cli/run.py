"""``mcugen run MODEL --board B --input X.npy``: one inference on the board."""

from __future__ import annotations

import argparse

import numpy as np

from ..device.verify import run_on_device
from ..errors import InputError
from ._deploy import add_deploy_arguments, build, connected, load_checked, scratch_dir
from ._output import console, print_json

NAME = "run"
HELP = "run one input on a board (emulated, host or real) and print the output"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_deploy_arguments(p)
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("--input", help=".npy (one input) or .npz (one array per input)")
    given.add_argument("--sequence", metavar="S",
                       help="stateful models: .npy/.npz whose leading axis is time; the steps "
                       "run in order on one model state, after a reset; one output per step")
    p.add_argument("--port", help="serial port URL of a real board (e.g. /dev/ttyACM0)")
    p.add_argument("--no-flash", action="store_true",
                   help="the board on --port already runs this firmware: do not flash it")
    p.add_argument("--json", action="store_true")


def load_inputs(path: str, graph) -> list[np.ndarray]:
    from ..npdata import NpzArchive, open_data
    data = open_data(path, "input")     # checked before read: one line, exit 2
    tensors = [graph.tensors[i] for i in graph.inputs]
    arrays = [data[t.name] if t.name in data else None for t in tensors] \
        if isinstance(data, NpzArchive) else [data]
    result = []
    for t, a in zip(tensors, arrays):
        if a is None:
            raise InputError(f"no array named '{t.name}' in the .npz", path)
        if a.dtype != t.dtype or a.size != t.size:
            raise InputError(f"input '{t.name}' needs {t.dtype}{list(t.shape)}, got "
                             f"{a.dtype}{list(a.shape)}", path)
        result.append(a.reshape(t.shape))
    if len(result) != len(tensors):
        raise InputError(f"model takes {len(tensors)} inputs; use an .npz", path)
    return result


def run(args: argparse.Namespace) -> int:
    from ..device.protocol import instructions
    from ..device.verify import run_sequence_on_device
    graph = load_checked(args)
    if args.sequence:     # the data is checked before anything is built
        from .simulate import load_sequence
        steps = load_sequence(args.sequence, graph)
    else:
        steps = [load_inputs(args.input, graph)]
    with scratch_dir() as tmp:
        graph, fw = build(args, tmp, graph=graph)
        with connected(args, fw, graph) as (device, info):
            if args.sequence:        # one reset, then the steps in order on one state
                ran = run_sequence_on_device(device, graph, steps)
            else:                    # from a reset, when the model keeps state
                ran = [run_on_device(device, graph, steps[0])]
    per_step = [outputs for outputs, _ in ran]
    counts = [instructions(inference, info) for _, inference in ran]
    count = counts[-1]
    if args.json:
        if args.sequence:   # per output, the steps stacked on a leading time axis
            print_json({"outputs": [[s[j].tolist() for s in per_step]
                                    for j in range(len(graph.outputs))],
                        info.counter_unit: counts})
        else:
            print_json({"outputs": [o.tolist() for o in per_step[0]], info.counter_unit: count})
        return 0
    for n, outputs in enumerate(per_step):
        step = f"step {n} " if args.sequence else ""
        for k, o in enumerate(outputs):
            console.print(f"{step}output {k}: {o.ravel().tolist()}")
    if count is not None:
        if args.sequence:
            console.print(f"{count:,} {info.counter_unit} per inference (last step; "
                          f"{sum(counts):,} for the {len(counts)} steps)")
        else:
            console.print(f"{count:,} {info.counter_unit} per inference")
    return 0
