"""The float32 path on every shared float model (the LSTM one aside): max |ours - TFLM| <=
1e-3 x max |TFLM output|, on every intermediate tensor and on real AD data."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.model import load_model
from mcugen.sim import Simulator
from tests.oracle import FLOAT_MODELS, Tflm, shared_input, shared_model

RANDOM_INPUTS = 5


def _relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(theirs))), 1e-30)
    return float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)))) / scale


def _inputs(rel: str, graph, rng) -> list[list[np.ndarray]]:
    cases = []
    for _ in range(RANDOM_INPUTS):
        cases.append([rng.standard_normal(graph.tensors[i].shape).astype(np.float32)
                      for i in graph.inputs])
    if rel.endswith("ad01_float.tflite"):
        frames = shared_input("ad01_dcase_logmel_float32.npy")
        for start in (0, 97, 195):
            cases.append([frames[start:start + 5].reshape(1, 640).astype(np.float32)])
    if rel.endswith("hello_world_float.tflite"):
        cases += [[np.array([[x]], np.float32)] for x in np.linspace(0, 2 * np.pi, 7)]
    return cases


@pytest.mark.parametrize("rel", FLOAT_MODELS)
def test_float_model_within_1e3_relative(rel):
    graph = load_model(shared_model(rel))
    tflm = Tflm(shared_model(rel), preserve_all=True)
    sim = Simulator(graph)
    worst = 0.0
    for inputs in _inputs(rel, graph, np.random.default_rng(3)):
        tflm.run(inputs)
        result = sim.run(inputs, keep_all=True)
        for op in graph.operators:
            for index in op.outputs:
                error = _relative_error(result.tensors[index].ravel(), tflm.tensor(index).ravel())
                worst = max(worst, error)
                assert error <= 1e-3, (f"{rel} op {op.index} {op.opcode} tensor {index}: "
                                       f"relative error {error:.3g}")
    print(f"{rel}: worst relative error {worst:.3g}")


def test_hello_world_float_is_a_sine():
    """Independent of TFLM: the published model approximates sin(x) on [0, 2pi]."""
    sim = Simulator(load_model(shared_model("tflm/hello_world_float.tflite")))
    xs = np.linspace(0.1, 2 * np.pi - 0.1, 25, dtype=np.float32)
    ys = [float(sim.run([np.array([[x]], np.float32)]).outputs[0].ravel()[0]) for x in xs]
    assert np.max(np.abs(np.array(ys) - np.sin(xs))) < 0.15
