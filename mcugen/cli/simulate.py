"""``mcugen simulate MODEL --input X.npy [--output Y.npy] [--dump DIR] [--json]``: run a model
through mcugen's own simulator (TFLM reference semantics), the host side of every verification.

``--sequence S.npy`` instead of ``--input`` runs a stateful (recurrent, streaming) model over a
sequence: the leading axis of each array is time, the steps run in order on one state that
starts from a reset (as TFLM's), and the outputs stack one result per step on a leading axis."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from rich.table import Table

from ..errors import InputError
from ..model import load_model
from ..model.graph import Graph
from ..npdata import NpzArchive, as_input_shape, open_data, writable_file
from ..sim import Simulator
from ._output import console, print_json

NAME = "simulate"
HELP = "run a model on the host with mcugen's simulator (bit-exact with TFLM for int8 and 16x8)"

SHOWN_VALUES = 16


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=".tflite or .onnx file")
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("--input", metavar="X",
                       help=".npy (one-input models) or .npz with one array per input, named by "
                            "input tensor name or arr_0, arr_1, ... in input order")
    given.add_argument("--sequence", metavar="S",
                       help="like --input, with a leading time axis: the steps run in order on "
                            "one model state (variable tensors, e.g. an LSTM's), starting from a "
                            "reset; --output then holds one output per step")
    p.add_argument("--output", metavar="Y",
                   help="write the outputs: .npy (one-output models) or .npz (by tensor name)")
    p.add_argument("--dump", metavar="DIR",
                   help="write every tensor computed (inputs and each operator's outputs) as "
                        "DIR/<index>_<name>.npy, with DIR/tensors.json describing them "
                        "(with --sequence: DIR/<step>/..., variable tensors after the step)")
    p.add_argument("--json", action="store_true", help="print the outputs as JSON")
    p.add_argument("--no-optimize", action="store_true",
                   help="simulate the model as read, without the graph optimiser (as every "
                   "deploying command runs it by default)")


def _per_input(data, graph: Graph, path: str) -> tuple[list, list[np.ndarray]]:
    """(input tensors, one array per input) from an opened .npy or .npz: .npz members named by
    the input tensor's name or arr_0, arr_1, ... in input order."""
    tensors = [graph.tensors[i] for i in graph.inputs]
    if not isinstance(data, NpzArchive):
        if len(tensors) != 1:
            raise InputError(f"the model takes {len(tensors)} inputs: give an .npz with one "
                             "array per input", path)
        return tensors, [data]
    with data:
        arrays = []
        for n, t in enumerate(tensors):
            key = t.name if t.name in data.files else f"arr_{n}"
            if key not in data.files:
                raise InputError(f"no array named '{t.name}' or 'arr_{n}' in the .npz "
                                 f"(it has {', '.join(data.files) or 'none'})", path)
            arrays.append(data[key])
    return tensors, arrays


def load_inputs(path: str, graph: Graph) -> list[np.ndarray]:
    """The model's inputs from .npy/.npz, checked against the input tensors' dtype and size."""
    tensors, arrays = _per_input(open_data(path, "input"), graph, path)
    result = []
    for t, a in zip(tensors, arrays):
        if a.dtype != t.dtype:
            raise InputError(f"input '{t.name}' is {t.dtype}{list(t.shape)}, got "
                             f"{a.dtype}{list(a.shape)}", path)
        result.append(as_input_shape(a, t.shape, f"input '{t.name}'", path))
    return result


def load_sequence(path: str, graph: Graph) -> list[list[np.ndarray]]:
    """The steps of a --sequence file: per input an array (T, ...) whose every step holds that
    input's values; the same T for every input, T >= 1."""
    tensors, arrays = _per_input(open_data(path, "sequence"), graph, path)
    steps = None
    for t, a in zip(tensors, arrays):
        if a.dtype != t.dtype:
            raise InputError(f"sequence of input '{t.name}' is {a.dtype}, the input is "
                             f"{t.dtype}", path)
        if a.ndim < 1 or a.shape[0] < 1 or a[0].size != t.size:
            raise InputError(f"sequence of input '{t.name}' has shape {list(a.shape)}; expected "
                             f"[steps, {', '.join(str(d) for d in t.shape)}] (time first, then "
                             f"{t.size} values per step)", path)
        as_input_shape(a[0], t.shape, f"each step of input '{t.name}'", path)
        if steps is not None and a.shape[0] != steps:
            raise InputError(f"sequences differ in length: {steps} and {a.shape[0]} steps "
                             f"(input '{t.name}')", path)
        steps = a.shape[0]
    return [[a[k].reshape(t.shape) for t, a in zip(tensors, arrays)] for k in range(steps)]


def simulate_sequence(graph: Graph, steps: list[list[np.ndarray]], dump: str | None = None
                      ) -> tuple[list[np.ndarray], int]:
    """Run the steps in order on one simulator state (fresh, i.e. reset); per output the
    results stacked on a leading time axis, and how many tensors were dumped."""
    sim = Simulator(graph)
    per_step, dumped = [], 0
    for k, inputs in enumerate(steps):
        result = sim.run(inputs, keep_all=bool(dump))
        per_step.append([o.copy() for o in result.outputs])
        if dump:
            dumped += dump_tensors(graph, result.tensors, str(Path(dump) / f"{k:04d}"))
    outputs = [np.stack([s[j] for s in per_step]) for j in range(len(graph.outputs))]
    return outputs, dumped


def _file_name(index: int, name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.")[:80] or "tensor"
    return f"{index:04d}_{safe}.npy"


def dump_tensors(graph: Graph, tensors: dict[int, np.ndarray], directory: str) -> int:
    """Every computed tensor as <index>_<name>.npy plus tensors.json; returns how many."""
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create dump directory: {exc.strerror}", directory) from None
    producers = graph.producers()
    described = []
    for index in sorted(tensors):
        t = graph.tensors[index]
        name = _file_name(index, t.name)
        np.save(out / name, np.ascontiguousarray(tensors[index]))
        entry = {"index": index, "name": t.name, "file": name, "shape": list(t.shape),
                 "dtype": str(t.dtype),
                 "producer": None if index not in producers else
                 {"index": producers[index].index, "opcode": producers[index].opcode}}
        if t.quant is not None and t.quant.scale.size == 1:
            entry["scale"] = float(t.quant.scale[0])
            entry["zero_point"] = int(t.quant.zero_point[0])
        described.append(entry)
    (out / "tensors.json").write_text(json.dumps(described, indent=2) + "\n")
    return len(described)


def write_outputs(graph: Graph, outputs: list[np.ndarray], path: str) -> None:
    names = [graph.tensors[i].name for i in graph.outputs]
    writable_file(path)
    try:
        if path.endswith(".npz"):
            np.savez(path, **{n if n else f"arr_{k}": o
                              for k, (n, o) in enumerate(zip(names, outputs))})
        elif len(outputs) == 1:
            np.save(path if path.endswith(".npy") else path + ".npy", outputs[0])
        else:
            raise InputError(f"the model has {len(outputs)} outputs: write them to an .npz",
                             path)
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", path) from None


def run(args: argparse.Namespace) -> int:
    from ..optimize import optimize_graph
    graph = optimize_graph(load_model(args.model), enabled=not args.no_optimize)
    if args.sequence:
        outputs, dumped = simulate_sequence(graph, load_sequence(args.sequence, graph),
                                            args.dump)
    else:
        result = Simulator(graph).run(load_inputs(args.input, graph), keep_all=bool(args.dump))
        outputs = result.outputs
        dumped = dump_tensors(graph, result.tensors, args.dump) if args.dump else 0
    if args.output:
        write_outputs(graph, outputs, args.output)
    if args.json:
        print_json({"outputs": [{"name": graph.tensors[i].name, "shape": list(o.shape),
                                 "dtype": str(o.dtype), "values": o.ravel().tolist()}
                                for i, o in zip(graph.outputs, outputs)],
                    "dumped_tensors": dumped})
        return 0
    table = Table(title=f"{graph.name}: simulated outputs", title_justify="left")
    for col in ("output", "shape", "values", "argmax"):
        table.add_column(col)
    for i, o in zip(graph.outputs, outputs):
        if args.sequence:       # the table shows the last step; --output / --json hold all
            o = o[-1]
        flat = o.ravel()
        values = " ".join(f"{v:.6g}" if o.dtype.kind == "f" else str(v)
                          for v in flat[:SHOWN_VALUES].tolist())
        if flat.size > SHOWN_VALUES:
            values += f" … ({flat.size} values)"
        table.add_row(graph.tensors[i].name, f"{o.dtype}{list(o.shape)}", values,
                      str(int(np.argmax(flat))) if flat.size else "-")
    console.print(table)
    if args.sequence:
        console.print(f"{len(outputs[0])} steps on one state from a reset; the table shows the "
                      "last step")
    if args.output:
        console.print(f"outputs written to {args.output}")
    if args.dump:
        console.print(f"{dumped} tensors written to {args.dump} (index in tensors.json)")
    return 0
