"""Verification: run inputs on a device and compare every output byte with the simulator.

On a mismatch the firmware is rebuilt with a debug plan that keeps every tensor, the same input
is run again, and the arena is read back tensor by tensor to name the first layer where device
and simulator diverge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..model.graph import Graph
from ..sim import Simulator
from .protocol import Device, DeviceInfo, instructions, pack_inputs


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


def run_on_device(device: Device, graph: Graph, sample: list[np.ndarray]):
    device.set_inputs(pack_inputs(sample))
    inference = device.invoke()
    outputs, offset = [], 0
    for index in graph.outputs:
        t = graph.tensors[index]
        outputs.append(np.frombuffer(inference.outputs[offset:offset + t.nbytes],
                                     dtype=t.dtype).reshape(t.shape))
        offset += t.nbytes
    return outputs, inference


def verify_on_device(device: Device, graph: Graph, samples: list[list[np.ndarray]],
                     progress=None) -> VerifyResult:
    info = device.hello()
    sim = Simulator(graph)
    result = VerifyResult(n_inputs=len(samples), info=info)
    for n, sample in enumerate(samples):
        got, inference = run_on_device(device, graph, sample)
        expected = sim.run(sample).outputs
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
                      order: list[int]) -> str | None:
    """On a debug build (every tensor kept), the first op whose output differs."""
    run_on_device(device, graph, sample)
    expected = Simulator(graph).run(sample, keep_all=True).tensors
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
