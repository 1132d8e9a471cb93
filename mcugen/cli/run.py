"""``mcugen run MODEL --board B --input X.npy``: one inference on the board."""

from __future__ import annotations

import argparse

import numpy as np

from ..device.verify import run_on_device
from ..errors import InputError
from ._deploy import add_deploy_arguments, build, connected, scratch_dir
from ._deploy import add_farm_arguments, farm
from ._output import console, write_json

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
    add_farm_arguments(p)
    p.add_argument("--no-flash", action="store_true",
                   help="the board on --port already runs this firmware: do not flash it")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="write the outputs as JSON to FILE (without FILE, or -: to stdout)")
    p.add_argument("--output", metavar="Y", help="write the outputs: .npy (one-output models) "
                   "or .npz (by output tensor name)")
    p.add_argument("--top", type=int, default=3, metavar="K",
                   help="classes shown per output (default 3)")
    p.set_defaults(check_inputs=lambda args, graph: load_inputs(args.input, graph))  # pre-build


def load_inputs(path: str, graph) -> list[np.ndarray]:
    from ..npdata import NpzArchive, as_input_shape, open_data
    data = open_data(path, "input")     # checked before read: one line, exit 2
    tensors = [graph.tensors[i] for i in graph.inputs]
    arrays = [data[t.name] if t.name in data else None for t in tensors] \
        if isinstance(data, NpzArchive) else [data]
    result = []
    for t, a in zip(tensors, arrays):
        if a is None:
            raise InputError(f"no array named '{t.name}' in the .npz", path)
        if a.dtype != t.dtype:
            raise InputError(f"input '{t.name}' needs {t.dtype}{list(t.shape)}, got "
                             f"{a.dtype}{list(a.shape)}", path)
        result.append(as_input_shape(a, t.shape, f"input '{t.name}'", path))
    if len(result) != len(tensors):
        raise InputError(f"model takes {len(tensors)} inputs; use an .npz", path)
    return result


def run(args: argparse.Namespace) -> int:
    if args.sequence:
        return _run_sequence(args)
    with scratch_dir() as tmp, farm(args):
        graph, fw = build(args, tmp)
        sample = load_inputs(args.input, graph)
        with connected(args, fw, graph) as (device, info):
            outputs, inference = run_on_device(device, graph, sample)
    from ..device.protocol import instructions
    count = instructions(inference, info)
    if args.output:
        from .simulate import write_outputs
        write_outputs(graph, outputs, args.output)
    details = [describe_output(graph.tensors[i], o, args.top)
               for i, o in zip(graph.outputs, outputs)]
    if args.json:
        write_json({"outputs": [o.tolist() for o in outputs], info.counter_unit: count,
                    "output_details": details}, args.json)
        if args.json == "-":
            return 0
    for d in details:
        print_output(d)
    if count is not None:
        console.print(f"{count:,} {info.counter_unit} per inference")
    if args.output:
        console.print(f"outputs written to {args.output}")
    return 0


def _run_sequence(args: argparse.Namespace) -> int:
    """--sequence: one reset, then the steps in order on one state (Device.run_sequence);
    --output and --json hold each output stacked over the steps, as ``simulate --sequence``."""
    from ..device.protocol import instructions
    from ..device.verify import run_sequence_on_device
    from ._deploy import load_checked
    from .simulate import load_sequence
    graph = load_checked(args)
    steps = load_sequence(args.sequence, graph)     # checked before anything is built
    with scratch_dir() as tmp, farm(args):
        graph, fw = build(args, tmp, graph=graph)
        with connected(args, fw, graph) as (device, info):
            ran = run_sequence_on_device(device, graph, steps)
    counts = [instructions(inference, info) for _, inference in ran]
    stacked = [np.stack([outs[j] for outs, _ in ran]) for j in range(len(graph.outputs))]
    if args.output:
        from .simulate import write_outputs
        write_outputs(graph, stacked, args.output)
    if args.json:
        write_json({"outputs": [o.tolist() for o in stacked], info.counter_unit: counts},
                   args.json)
        if args.json == "-":
            return 0
    for n, (outs, _) in enumerate(ran):
        for k, o in enumerate(outs):
            console.print(f"step {n} output {k}: {o.ravel().tolist()}")
    if counts and counts[-1] is not None:
        console.print(f"{counts[-1]:,} {info.counter_unit} per inference (last step; "
                      f"{sum(counts):,} for the {len(counts)} steps)")
    if args.output:
        console.print(f"outputs written to {args.output} (one per step)")
    return 0


SHOWN_VALUES = 16


def describe_output(t, value: np.ndarray, top: int = 3) -> dict:
    """One output by name: its values, dequantized with the tensor's scale and zero point when
    it has one, and its top classes (the largest values) for a vector of scores."""
    flat = np.asarray(value).reshape(-1)
    d = {"name": t.name, "dtype": str(value.dtype), "shape": list(value.shape),
         "values": flat.tolist()}
    real = flat.astype(np.float64)
    if t.quant is not None and t.quant.scale.size == 1 and value.dtype.kind in "iu":
        d["scale"], d["zero_point"] = float(t.quant.scale[0]), int(t.quant.zero_point[0])
        real = (flat.astype(np.float64) - d["zero_point"]) * d["scale"]
        d["dequantized"] = [round(float(v), 6) for v in real]
    if 1 < flat.size <= 1000 and top > 0:
        order = np.argsort(-real, kind="stable")[:top]
        d["top"] = [{"class": int(k), "value": round(float(real[k]), 6)} for k in order]
    return d


def _values(values) -> str:
    text = " ".join(f"{v:.6g}" if isinstance(v, float) else str(v)
                    for v in values[:SHOWN_VALUES])
    return text + (f" … ({len(values)} values)" if len(values) > SHOWN_VALUES else "")


def print_output(d: dict) -> None:
    q = f", scale {d['scale']:.6g}, zero point {d['zero_point']}" if "scale" in d else ""
    console.print(f"output '{d['name']}' {d['dtype']}{d['shape']}{q}")
    console.print(f"  values:      {_values(d['values'])}")
    if "dequantized" in d:
        console.print(f"  dequantized: {_values(d['dequantized'])}")
    if "top" in d:
        console.print("  top classes: " + ", ".join(f"{c['class']} ({c['value']:.4g})"
                                                    for c in d["top"]))
