"""The TF converter's 16x8 models (int16 activations, int8 weights, int64 bias): EVERY tensor
byte-identical to TFLM's reference kernels, on real test samples and random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.model import load_model
from mcugen.sim import Simulator
from tests.oracle import SHARED_MODELS, Tflm, shared_model
from tests.sim.compare import first_mismatch, random_inputs

DSCNN = "real_data/digits_dscnn"


def _samples(graph, count: int) -> list[list[np.ndarray]]:
    x = np.load(SHARED_MODELS / DSCNN / "test.npz")["x"][:count].astype(np.float32)
    t = graph.tensors[graph.inputs[0]]
    if t.dtype == np.float32:
        return [[s.reshape(t.shape)] for s in x]
    scale = float(t.quant.scale[0])
    return [[np.clip(np.round(s / scale), -32768, 32767).astype(np.int16).reshape(t.shape)]
            for s in x]


@pytest.mark.parametrize("name", ["tf_16x8", "tf_16x8_floatio"])
def test_every_tensor_matches_tflm(name):
    rel = f"{DSCNN}/{name}.tflite"
    graph = load_model(shared_model(rel))
    tflm, sim = Tflm(shared_model(rel), preserve_all=True), Simulator(graph)
    rng = np.random.default_rng(3)
    cases = _samples(graph, 40) + [random_inputs(graph, rng) for _ in range(10)]
    for n, inputs in enumerate(cases):
        problem = first_mismatch(graph, tflm, sim, inputs)
        assert problem is None, f"{rel} input #{n}: {problem}"
