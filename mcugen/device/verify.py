"""Verification: run inputs on a device and compare every output byte with the simulator.

On a mismatch the firmware is rebuilt with a debug plan that keeps every tensor, the same input
is run again, and the arena is read back tensor by tensor to name the first layer where device
and simulator diverge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InfrastructureError
from ..model.graph import Graph
from ..sim import Simulator
from .protocol import SECONDS_PER_MAC, Device, DeviceInfo, instructions, pack_inputs


@dataclass
class Mismatch:
    input_index: int
    output_index: int
    differing_bytes: int
    first_layer: str | None = None      # filled in by locate_divergence


@dataclass
class VerifyResult:
    n_inputs: int
    mismatches: list[Mismatch] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)     # instructions or cycles per inference
    stack_bytes: int = 0
    info: DeviceInfo | None = None
    # per input: the device's outputs and the simulator's (for accuracy and the report)
    outputs: list[list[np.ndarray]] = field(default_factory=list, repr=False)
    expected: list[list[np.ndarray]] = field(default_factory=list, repr=False)

    @property
    def bit_exact(self) -> bool:
        return not self.mismatches


def random_inputs(graph: Graph, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        sample = []
        for index in graph.inputs:
            t = graph.tensors[index]
            if np.issubdtype(t.dtype, np.floating):     # models that keep float I/O
                sample.append(rng.standard_normal(t.shape).astype(t.dtype))
                continue
            info = np.iinfo(t.dtype)
            sample.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(t.dtype))
        samples.append(sample)
    return samples


def estimate_invoke_seconds(graph: Graph) -> float:
    """A pessimistic wall time of one inference before any was measured (from its MACs), for
    the invoke's deadline (max(10 × this, a floor))."""
    from ..model.summary import op_macs
    return max(1, sum(op_macs(graph, op) for op in graph.operators)) * SECONDS_PER_MAC


def firmware_identity(firmware, graph: Graph) -> dict:
    """What HELLO must say for the firmware mcugen built: the graph's hash, the kernels' text
    (as the generated model.c records it) and the arena size (a debug build's differs)."""
    kernels = None
    for src in firmware.rendered.sources:
        m = re.search(r'^\s*\.kernels = "([^"]*)",', Path(src).read_text(errors="replace"),
                      re.MULTILINE)
        if m:
            kernels = m.group(1)
            break
    return {"name": graph.name, "hash": graph.fingerprint(), "kernels": kernels,
            "arena": firmware.rendered.arena_bytes}


class FirmwareMismatch(InfrastructureError):
    """The board runs firmware built for another model (or kernels, or memory plan)."""


def check_identity(info: DeviceInfo, firmware, graph: Graph, where: str | None = None) -> None:
    """Refuse, in one line (exit 3), a board whose HELLO names other firmware than was built."""
    want = firmware_identity(firmware, graph)
    got = {"name": info.fields.get("name", "?"), "hash": info.model_hash,
           "kernels": info.kernels, "arena": info.arena_bytes}
    if got["hash"] == want["hash"] and got["arena"] == want["arena"] and \
            (want["kernels"] is None or got["kernels"] == want["kernels"]):
        return

    def text(d):
        return (f"{d['name']} {d['hash'][:12] or '?'} ({d['kernels']}, arena "
                f"{d['arena']:,} bytes)")
    raise FirmwareMismatch(f"the board runs firmware for a different model: expected "
                           f"{text(want)}, got {text(got)}", where or firmware.board.name)


def unpack_outputs(graph: Graph, data: bytes) -> list[np.ndarray]:
    """An invoke's output bytes (the outputs back to back) -> one array per model output."""
    outputs, offset = [], 0
    for index in graph.outputs:
        t = graph.tensors[index]
        outputs.append(np.frombuffer(data[offset:offset + t.nbytes],
                                     dtype=t.dtype).reshape(t.shape))
        offset += t.nbytes
    return outputs


def run_on_device(device: Device, graph: Graph, sample: list[np.ndarray]):
    if device.expected_invoke_seconds is None:
        device.expected_invoke_seconds = estimate_invoke_seconds(graph)
    inference = device.run(pack_inputs(sample))
    return unpack_outputs(graph, inference.outputs), inference


def run_sequence_on_device(device: Device, graph: Graph, steps: list[list[np.ndarray]]):
    """The steps of a sequence in order on one model state from one reset
    (Device.run_sequence: replayed whole from a reset after a link fault); per step
    (outputs, inference)."""
    if device.expected_invoke_seconds is None:
        device.expected_invoke_seconds = estimate_invoke_seconds(graph)
    return [(unpack_outputs(graph, inference.outputs), inference)
            for inference in device.run_sequence([pack_inputs(s) for s in steps])]


def has_state(graph: Graph) -> bool:
    return any(t.is_variable for t in graph.tensors)


def verify_on_device(device: Device, graph: Graph, samples: list[list[np.ndarray]],
                     progress=None, sequence: bool = False) -> VerifyResult:
    """Each sample from a reset of the device's state (Device.run) and the simulator's, for a
    model with state; with ``sequence`` the samples are the steps of one sequence: one reset,
    then every step on one state, each step's outputs compared."""
    info = device.hello()
    sim = Simulator(graph)
    result = VerifyResult(n_inputs=len(samples), info=info)
    ran = run_sequence_on_device(device, graph, samples) if sequence else None
    for n, sample in enumerate(samples):
        if ran is not None:
            got, inference = ran[n]
        else:
            if has_state(graph):
                sim.reset()
            got, inference = run_on_device(device, graph, sample)
        expected = [e.copy() for e in sim.run(sample).outputs]
        result.outputs.append([g.copy() for g in got])
        result.expected.append(expected)
        for k, (g, e) in enumerate(zip(got, expected)):
            if g.tobytes() != e.tobytes():
                result.mismatches.append(Mismatch(n, k, int(np.count_nonzero(g != e))))
        count = instructions(inference, info)
        if count is not None:
            result.counts.append(count)
        result.stack_bytes = max(result.stack_bytes, inference.stack_bytes)
        if progress:
            progress(n + 1)
    return result


def locate_divergence(device: Device, graph: Graph, sample: list[np.ndarray],
                      order: list[int], before: list[list[np.ndarray]] = ()) -> str | None:
    """On a debug build (every tensor kept), the first op whose output differs (``before``:
    the steps of a sequence that precede ``sample``, run first on the same state)."""
    sim = Simulator(graph)
    if before:
        run_sequence_on_device(device, graph, [*before, sample])
        for step in before:
            sim.run(step)
    else:
        run_on_device(device, graph, sample)
    expected = sim.run(sample, keep_all=True).tensors
    for op_index in order:
        op = graph.operators[op_index]
        for t in op.outputs:
            tensor = graph.tensors[t]
            got = np.frombuffer(device.read_tensor(t, tensor.nbytes), dtype=tensor.dtype)
            want = np.ascontiguousarray(expected[t]).ravel()
            if got.tobytes() != want.tobytes():
                diff = int(np.count_nonzero(got != want))
                return (f"op {op.index} {op.opcode} (tensor {t} '{tensor.name}': {diff} of "
                        f"{tensor.size} values differ)")
    return None


def junit_xml(model: str, board: str, result: VerifyResult) -> str:
    from xml.sax.saxutils import escape, quoteattr
    cases = []
    failed = {m.input_index for m in result.mismatches}
    for n in range(result.n_inputs):
        name = quoteattr(f"{model} input {n} on {board}")
        if n in failed:
            where = next((m.first_layer for m in result.mismatches if m.input_index == n
                          and m.first_layer), "")
            cases.append(f'  <testcase classname="mcugen.verify" name={name}><failure message='
                         f'{quoteattr("output differs from the simulator")}>{escape(where)}'
                         f'</failure></testcase>')
        else:
            cases.append(f'  <testcase classname="mcugen.verify" name={name}/>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="mcugen verify" '
            f'tests="{result.n_inputs}" failures="{len(failed)}">\n' + "\n".join(cases)
            + "\n</testsuite>\n")


def write_text(path: str | Path, text: str) -> None:
    Path(path).write_text(text)
