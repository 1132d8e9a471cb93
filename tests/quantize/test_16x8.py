"""``mcugen quantize --activations int16``: 16x8 models as the TF converter 2.21 writes them
(symmetric int16 activations, per-channel int8 weights — fully connected too — int64 bias,
SOFTMAX at 1/32768), int16 I/O by default, float or int8 adapters; they conform, run in TFLM
with every tensor equal to mcugen's simulator, and keep the TF converter's 16x8 quality on real
data (digits_dscnn: SQNR >= TF's - 0.5 dB, same top-1)."""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pytest

from benchmarks.quantize_16x8 import evaluate
from mcugen.errors import UnsupportedOperatorError
from mcugen.model import load_model, parse_model, serialize_model
from mcugen.model.builder import GraphBuilder
from mcugen.quantize import check, quantize_model
from tests.oracle import SHARED_MODELS
from tests.sim.compare import assert_matches_tflm, random_inputs

DSCNN = SHARED_MODELS / "real_data" / "digits_dscnn"


@functools.lru_cache(maxsize=None)
def _quantized(io: str) -> bytes:
    calib = [[s[None].astype(np.float32)] for s in np.load(DSCNN / "calib.npy")]
    result = quantize_model(load_model(DSCNN / "float.tflite"), calib, io=io,
                            activations="int16")
    return serialize_model(result.graph)


def _test_split(count: int | None = None):
    data = np.load(DSCNN / "test.npz")
    n = count or len(data["y"])
    return data["x"][:n], data["y"][:n], data["float_out"][:n].astype(np.float64)


@pytest.mark.parametrize("io", ["int16", "float", "int8"])
def test_16x8_model_follows_the_converter_and_matches_tflm(io):
    graph = parse_model(_quantized(io))
    assert check(graph) == []
    edge = {graph.tensors[i].dtype.name for i in graph.inputs + graph.outputs}
    assert edge == {io if io != "float" else "float32"}
    for op in graph.operators:
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w, b = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
            axis = 3 if op.opcode == "DEPTHWISE_CONV_2D" else 0
            assert w.dtype == np.int8 and w.quant.scale.size == w.shape[axis] > 1
            assert b.dtype == np.int64 and not np.any(b.quant.zero_point)
        if op.opcode == "SOFTMAX":
            y = graph.tensors[op.outputs[0]]
            assert (float(y.quant.scale[0]), int(y.quant.zero_point[0])) == (1 / 32768, 0)
    for t in graph.tensors:
        if t.dtype == np.int16:
            assert int(t.quant.zero_point[0]) == 0
    x, _, _ = _test_split(8)
    t = graph.tensors[graph.inputs[0]]
    inputs = [[s.reshape(t.shape).astype(np.float32)] for s in x] if io == "float" else []
    rng = np.random.default_rng(0)
    assert_matches_tflm(graph, inputs + [random_inputs(graph, rng) for _ in range(4)])


def test_16x8_quality_matches_the_tf_converter():
    x, y, reference = _test_split()
    ours = evaluate(parse_model(_quantized("int16")), x, y, reference)
    theirs = evaluate(load_model(DSCNN / "tf_16x8.tflite"), x, y, reference)
    assert ours[0] >= theirs[0] - 0.5, (ours, theirs)
    assert ours[1] == theirs[1], (ours, theirs)


def test_operator_without_int16_is_refused():
    b = GraphBuilder("hard_swish_float")
    x = b.input("x", (1, 4), np.float32)
    y = b.tensor("y", (1, 4), np.float32)
    b.op("HARD_SWISH", [x], [y])
    b.output(y)
    with pytest.raises(UnsupportedOperatorError, match=r"HARD_SWISH \(int16\) at index 0"):
        quantize_model(b.build(), [[np.zeros((1, 4), np.float32)]], activations="int16")


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_sigmoid_outputs_at_2_to_the_minus_15(opcode):
    """16x8 LOGISTIC / TANH: output scale 1/32768, zero point 0 (TFLM's int16 prepare requires
    it); the quantized model matches TFLM."""
    from tests.sim.compare import assert_matches_tflm
    b = GraphBuilder(f"{opcode.lower()}_float")
    x = b.input("x", (1, 16), np.float32)
    y = b.tensor("y", (1, 16), np.float32)
    b.op(opcode, [x], [y])
    b.output(y)
    rng = np.random.default_rng(3)
    calib = [[(rng.standard_normal((1, 16)) * 3).astype(np.float32)] for _ in range(8)]
    graph = quantize_model(b.build(), calib, activations="int16", io="int16").graph
    out = graph.tensors[graph.outputs[0]]
    assert out.dtype == np.int16 and float(out.quant.scale[0]) == 1.0 / 32768
    assert int(out.quant.zero_point[0]) == 0
    assert_matches_tflm(graph, [[rng.integers(-32768, 32768, (1, 16)).astype(np.int16)]])


def test_cli_flags(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "mcugen", "quantize",   # noqa: E731
                                     str(DSCNN / "float.tflite"), "--calib",
                                     str(DSCNN / "calib.npy"), *a], capture_output=True,
                                    text=True, timeout=300)
    r = run("--activations", "int16", "-o", str(tmp_path / "q.tflite"), "--json")
    assert r.returncode == 0, r.stderr
    assert '"activations": "int16"' in r.stdout and '"io": "int16"' in r.stdout
    assert check(load_model(tmp_path / "q.tflite")) == []
    r = run("--activations", "int16", "--io", "uint8", "-o", str(tmp_path / "u.tflite"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--io uint8" in r.stderr


def test_conformance_knows_the_16x8_rules():
    graph = parse_model(_quantized("int16"))
    act = next(t for t in graph.tensors if t.dtype == np.int16 and not t.is_constant
               and t.index not in graph.inputs)
    act.quant.zero_point[:] = 5
    dw = next(op for op in graph.operators if op.opcode == "DEPTHWISE_CONV_2D")
    bias = graph.tensors[dw.inputs[2]]
    bias.data, bias.dtype = bias.data.astype(np.int32), np.dtype(np.int32)
    soft = next(op for op in graph.operators if op.opcode == "SOFTMAX")
    graph.tensors[soft.outputs[0]].quant.scale[:] = 1 / 256
    problems = "\n".join(check(graph))
    assert "symmetric (0)" in problems
    assert f"operator {dw.index} DEPTHWISE_CONV_2D: bias" in problems and "int64" in problems
    assert "must be scale 3.05176e-05 zero point 0" in problems
