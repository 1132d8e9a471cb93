"""mcugen from Python: what the command line does, in a few documented calls.

    from mcugen import api
    model = api.load("kws.tflite")                            # .tflite or .onnx
    plan = api.plan(model, board="mps2-an386")                # the arena, before building
    fw = api.build(model, "build/kws", board="host")          # sources, Makefile, program
    result = api.verify(model, board="host", inputs=10)       # bit-exact against the simulator
    assert result.bit_exact

Every function takes a model as a :class:`~mcugen.model.graph.Graph` (from :func:`load` or
:func:`quantize`) or a path, runs the graph optimiser as the commands do (``optimize=False``
turns it off), and picks board, core and kernels by the one rule of :mod:`mcugen.target`
(``board=``, ``cpu=``, ``kernels=``, ``cmsis_nn=``, with the commands' defaults). Errors are the
commands' exceptions (:mod:`mcugen.errors`: ``InputError`` for bad input, exit code 2 on the
command line; ``InfrastructureError``, 3; ``VerificationMismatch``, 1), each with the one-line
message the command prints. Why a module of its own: the CLI modules parse arguments and print;
these functions return the objects the CLI prints from, so a script or a notebook never scrapes
text.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .model.graph import Graph

__all__ = ["load", "quantize", "plan", "generate", "build", "verify", "profile", "simulate",
           "Plan", "Verification"]


def load(path: str | Path) -> Graph:
    """The model in ``path`` (.tflite or .onnx), validated, as read (no optimiser yet)."""
    from .model import load_model
    return load_model(str(path))


def quantize(model: Graph | str | Path, calib, *, io: str | None = None,
             method: str = "minmax", activations: str = "int8", per_channel_fc: bool = False,
             bias_correction: bool = True, calib_as_float: bool = False) -> Graph:
    """A float (or hybrid) model quantized to full int8 (or 16x8 with ``activations="int16"``),
    calibrated on ``calib``: a path as ``mcugen quantize --calib`` takes it (.npy, .npz, a folder,
    ``module:function``, ``random``), an array with a leading sample axis (one-input models), or
    a list of samples (each a list of input arrays)."""
    from .quantize import quantize_model
    graph = _graph(model)
    if isinstance(calib, (str, Path)):
        from .quantize.data import load_samples
        samples = load_samples(str(calib), graph, integers_as_float=calib_as_float)
    elif isinstance(calib, np.ndarray):
        samples = [[x] for x in calib]
    else:
        samples = [list(s) if isinstance(s, (list, tuple)) else [s] for s in calib]
    return quantize_model(graph, samples, io=io, method=method, per_channel_fc=per_channel_fc,
                          bias_correction=bias_correction, activations=activations).graph


@dataclass
class Plan:
    """:func:`plan`'s answer: the memory plan and whether it can fit the board."""

    memory: object               # mcugen.plan.MemoryPlan: buffers, offsets, backends, order
    board: str | None
    cpu: str
    kernels: str
    fit: dict | None             # mcugen.target.board_fit (None without a board, or on host)

    @property
    def arena_bytes(self) -> int:
        return self.memory.arena_bytes

    @property
    def lower_bound_bytes(self) -> int:
        return self.memory.lower_bound_bytes

    @property
    def fits(self) -> bool | None:
        return None if self.fit is None else self.fit["fits"]

    def to_json(self) -> dict:
        """What ``mcugen plan --json`` prints (without the operator list)."""
        data = self.memory.to_json()
        data.update(board=self.board, cpu=self.cpu, kernels=self.kernels)
        if self.fit is not None:
            data["fit"] = self.fit
        return data


def plan(model: Graph | str | Path, *, board=None, cpu=None, kernels=None, cmsis_nn=None,
         optimize: bool = True) -> Plan:
    """The static tensor arena ``mcugen plan`` prints, and whether the model fits the board (a
    model that does not fit is not an error here: see ``Plan.fits``)."""
    from .codegen.cmsis_nn import kernel_chain
    from .plan import plan_memory, validate_plan
    from .target import board_fit, resolve_target
    target = resolve_target(board, cpu, kernels, cmsis_nn)
    graph = _deployable(model, optimize)
    memory = plan_memory(graph, kernels=kernel_chain(target.kernels, cmsis_nn), cpu=target.cpu)
    validate_plan(graph, memory)
    b = target.board
    fit = board_fit(graph, memory, b) if b is not None and not b.is_host else None
    return Plan(memory, b.name if b else None, target.cpu, target.kernels, fit)


def generate(model: Graph | str | Path, out_dir: str | Path, *, name: str | None = None,
             board=None, cpu=None, kernels=None, cmsis_nn=None, wide_weights: bool = False,
             optimize: bool = True):
    """The C sources ``mcugen generate`` writes; returns the RenderedModel (``.sources``,
    ``.headers``, ``.arena_bytes``, ``.plan``, ``.kernels``)."""
    from .codegen import render_model
    from .target import resolve_target
    target = resolve_target(board, cpu, kernels, cmsis_nn)
    b = target.board
    return render_model(_deployable(model, optimize), out_dir, name=name, kernels=target.kernels,
                        cpu=target.cpu,
                        cmsis_nn=cmsis_nn, wide_weights=wide_weights,
                        fpu=b.fpu if b is not None else None, target=target.name)


def build(model: Graph | str | Path, out_dir: str | Path, *, board=None, kernels=None,
          cmsis_nn=None, wide_weights: bool = False, profile: bool = False,
          optimize: bool = True):
    """What ``mcugen build`` writes and compiles; returns the Firmware (``.elf``, ``.size`` with
    flash and RAM, ``.rendered``). A model that does not fit the board raises InputError."""
    from .firmware.build import build_firmware
    from .target import resolve_target
    target = resolve_target(board, None, kernels, cmsis_nn)
    return build_firmware(_deployable(model, optimize), target.board, Path(out_dir),
                          kernels=target.kernels, cmsis_nn=cmsis_nn, profile=profile,
                          wide_weights=wide_weights)


@dataclass
class Verification:
    """:func:`verify`'s answer (``mcugen verify --json`` has the same facts)."""

    bit_exact: bool
    n_inputs: int
    mismatches: list             # mcugen.device.verify.Mismatch: input, output, bytes differing
    counts: list[int]            # instructions (or cycles) per inference, where counted
    counter_unit: str            # "instructions", "cycles" or "none"
    stack_bytes: int
    firmware: object             # the Firmware that ran


def verify(model: Graph | str | Path, *, board=None, inputs=10, seed: int = 0, kernels=None,
           cmsis_nn=None, port: str | None = None, flash: bool = True,
           wide_weights: bool = False, optimize: bool = True) -> Verification:
    """Build, run ``inputs`` on the board (``host``, an emulated board in QEMU, or a real one on
    ``port``) and compare every output byte with the simulator's. ``inputs``: a count of random
    inputs, or samples (a list of lists of input arrays). A mismatch is reported in the result,
    not raised."""
    from .device.verify import random_inputs, verify_on_device
    graph = _deployable(model, optimize)
    samples = random_inputs(graph, int(inputs), seed) if isinstance(inputs, (int, np.integer)) \
        else [list(s) for s in inputs]
    with tempfile.TemporaryDirectory(prefix="mcugen-") as tmp:
        fw = build(graph, tmp, board=board, kernels=kernels, cmsis_nn=cmsis_nn,
                   wide_weights=wide_weights, optimize=False)
        with _connected(fw, graph, port, flash, cmsis_nn) as (device, _info):
            result = verify_on_device(device, graph, samples)
    unit = result.info.counter_unit if result.info else "none"
    return Verification(result.bit_exact, result.n_inputs, result.mismatches, result.counts,
                        unit, result.stack_bytes, fw)


def profile(model: Graph | str | Path, *, board=None, input=None, kernels=None, cmsis_nn=None,
            port: str | None = None, flash: bool = True, wide_weights: bool = False,
            optimize: bool = True) -> dict:
    """One inference on a build that stamps its counter around every layer: the dictionary
    ``mcugen profile --json`` prints (``layers``: operator, shapes, backend, MACs,
    instructions…; the totals). ``input``: a list of input arrays (default: the peer
    benchmark's random input)."""
    from .cli.profile import peer_input, profile_layers
    from .device.verify import run_on_device
    from .errors import InfrastructureError
    graph = _deployable(model, optimize)
    sample = list(input) if input is not None else peer_input(graph)
    with tempfile.TemporaryDirectory(prefix="mcugen-") as tmp:
        fw = build(graph, tmp, board=board, kernels=kernels, cmsis_nn=cmsis_nn, profile=True,
                   wide_weights=wide_weights, optimize=False)
        with _connected(fw, graph, port, flash, cmsis_nn) as (device, info):
            if not info.profiling:
                raise InfrastructureError("the board's firmware was built without per-layer "
                                          "profiling (MCUGEN_PROFILE)", port or fw.board.name)
            _, inference = run_on_device(device, graph, sample)
            stamps = device.profile()
    return profile_layers(graph, fw, info, inference, stamps)


def simulate(model: Graph | str | Path, inputs: list[np.ndarray], *,
             optimize: bool = True) -> list[np.ndarray]:
    """The outputs mcugen's simulator computes for one sample (a list of input arrays): what
    the device must produce byte for byte."""
    from .sim.executor import Simulator
    return Simulator(_deployable(model, optimize, deployable=False)).run(list(inputs)).outputs


def _graph(model) -> Graph:
    if isinstance(model, Graph):
        return model
    if isinstance(model, (str, Path)):
        return load(model)
    raise InputError(f"expected a model (a Graph or a path), got {type(model).__name__}")


def _deployable(model, optimize: bool, deployable: bool = True) -> Graph:
    """The graph the commands deploy: refused in one line when an operator's dtype is not
    implemented, then optimised."""
    from .optimize import optimize_graph
    graph = _graph(model)
    if deployable:
        from .ops.registry import refuse_unimplemented_dtypes
        refuse_unimplemented_dtypes(graph, "the code generator")
    return optimize_graph(graph, enabled=optimize)


def _connected(firmware, graph, port, flash, cmsis_nn):
    """The device running ``firmware``, greeted and checked to run it (as the commands do)."""
    from contextlib import contextmanager

    from .device.runner import open_device
    from .device.verify import check_identity

    @contextmanager
    def connection():
        with open_device(firmware, port=port, flash=flash, graph=graph,
                         cmsis_nn=cmsis_nn) as device:
            info = device.hello()
            check_identity(info, firmware, graph, port)
            yield device, info
    return connection()
