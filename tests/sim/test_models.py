"""Whole shared int8 models: EVERY tensor byte-identical to TFLM's reference kernels.

Default tier: the real samples plus 20 random inputs per model (all seven models take ~10 s).
Slow tier (``-m slow``): 100 more random inputs per model.
"""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.model import load_model
from mcugen.sim import Simulator
from tests.oracle import INT8_MODELS, Tflm, shared_input, shared_model
from tests.sim.compare import first_mismatch, random_inputs

DEFAULT_RANDOM = 20
SLOW_RANDOM = 100


def _real_samples(rel: str) -> list[list[np.ndarray]]:
    if rel.endswith("kws_ref_model.tflite"):
        return [[shared_input("kws_sample_int8.npy").astype(np.int8)]]
    if rel.endswith("person_detect_int8.tflite"):
        # TFLM's own person_detection test feeds the raw bytes reinterpreted as int8.
        return [[shared_input(f"{name}_96x96_uint8.npy").reshape(1, 96, 96, 1).view(np.int8)]
                for name in ("person", "no_person")]
    return []


def _check_model(rel: str, random_runs: int, seed: int) -> int:
    graph = load_model(shared_model(rel))
    tflm = Tflm(shared_model(rel), preserve_all=True)
    sim = Simulator(graph)
    rng = np.random.default_rng(seed)
    cases = _real_samples(rel) + [random_inputs(graph, rng) for _ in range(random_runs)]
    for n, inputs in enumerate(cases):
        problem = first_mismatch(graph, tflm, sim, inputs)
        assert problem is None, f"{rel} input #{n}: {problem}"
    return len(cases)


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_every_tensor_matches_tflm(rel):
    assert _check_model(rel, DEFAULT_RANDOM, seed=1) >= 20


@pytest.mark.slow
@pytest.mark.parametrize("rel", INT8_MODELS)
def test_every_tensor_matches_tflm_many_inputs(slow_selected, rel):
    _check_model(rel, SLOW_RANDOM, seed=2)


def test_real_samples_score_as_published():
    """The samples' known scores (README of ../shared/models): a sanity check of input feeding,
    independent of TFLM's per-tensor comparison."""
    rel = "tflm/person_detect_int8.tflite"
    sim = Simulator(load_model(shared_model(rel)))
    person, no_person = _real_samples(rel)
    assert sim.run(person).outputs[0].ravel().tolist() == [-113, 113]
    assert sim.run(no_person).outputs[0].ravel().tolist() == [57, -57]
    kws = Simulator(load_model(shared_model("mlperf_tiny/kws_ref_model.tflite")))
    out = kws.run(_real_samples("mlperf_tiny/kws_ref_model.tflite")[0]).outputs[0].ravel()
    assert int(np.argmax(out)) == 5 and int(out[5]) == 127
