"""Regression tests for the defects the operator registry fixed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mcugen.model import serialize_model
from mcugen.model.builder import GraphBuilder
from tests.oracle import Tflm
from tests.sim.compare import assert_matches_tflm
from tests.sim.single_op import unary_graph

ALL_INT8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)


def test_leaky_relu_multipliers_in_double():
    """alpha 0.99 with equal input/output scales: float32 arithmetic gave -49 where the pinned
    TFLM gives -50 (it computes the multipliers in double)."""
    s = 0.016458816826343536
    graph = unary_graph("LEAKY_RELU", (1, 256), np.int8, np.int8, (s, 48), (s, -18),
                        "LeakyReluOptions", alpha=0.99)
    assert_matches_tflm(graph, [[ALL_INT8]])


def test_leaky_relu_quantizes(tmp_path):
    """LEAKY_RELU was simulated and lowered but `mcugen quantize` refused it."""
    from mcugen.quantize import quantize_model
    b = GraphBuilder("leaky")
    x = b.input("x", (1, 16), np.float32)
    y = b.tensor("y", (1, 16), np.float32)
    b.op("LEAKY_RELU", [x], [y], "LeakyReluOptions", alpha=0.1)
    b.output(y)
    rng = np.random.default_rng(0)
    samples = [[rng.standard_normal((1, 16)).astype(np.float32)] for _ in range(8)]
    q = quantize_model(b.build(), samples).graph
    assert q.operators[0].opcode == "LEAKY_RELU"
    assert q.tensors[q.operators[0].outputs[0]].dtype == np.int8
    inputs = [[rng.integers(-128, 128, (1, 16), dtype=np.int8)] for _ in range(3)]
    assert_matches_tflm(q, inputs)


def _softmax_with_bad_output_scale(path):
    graph = unary_graph("SOFTMAX", (1, 10), np.int8, np.int8, (0.1, 0), (1 / 128, -128),
                        "SoftmaxOptions", beta=1.0)
    path.write_bytes(serialize_model(graph))
    return path


def test_one_model_defect_one_exit_code_everywhere(tmp_path):
    """A SOFTMAX whose output scale TFLM rejects: `simulate` said "internal error" (exit 3),
    `generate` exit 2. Every command now gives exit 2 and the same one-line message."""
    model = _softmax_with_bad_output_scale(tmp_path / "softmax.tflite")
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 10), np.int8))
    commands = {"simulate": ["simulate", str(model), "--input", str(x)],
                "plan": ["plan", str(model)],
                "generate": ["generate", str(model), "-o", str(tmp_path / "gen"),
                             "--kernels", "portable"],
                "build": ["build", str(model), "--board", "host", "-o", str(tmp_path / "b"),
                          "--kernels", "portable"]}
    messages = {}
    for name, args in commands.items():
        proc = subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 2, (name, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (name, proc.stderr)
        messages[name] = lines[0]
    assert len(set(messages.values())) == 1, messages
    assert "SOFTMAX needs output scale 1/256" in messages["plan"]


def test_tflm_rejects_that_softmax_too(tmp_path):
    """The defect is the model's: TFLM refuses it as well (so exit 2 is right)."""
    model = _softmax_with_bad_output_scale(tmp_path / "softmax.tflite")
    with pytest.raises(Exception):
        Tflm(model.read_bytes()).run([np.zeros((1, 10), np.int8)])
