"""Every tensor of every shared int8 model, byte for byte against TFLM (preserve-all-tensors),
on random inputs and the real samples; float models within 1e-3 of TFLM's output range."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.model import load_model
from tests.oracle import FLOAT_MODELS, INT8_MODELS, shared_input, shared_model
from tests.sim.compare import assert_matches_tflm, random_inputs


def _real_samples(rel: str) -> list[list[np.ndarray]]:
    if "kws_ref_model" in rel:
        return [[shared_input("kws_sample_int8.npy")]]
    if "person_detect" in rel:
        return [[shared_input(f).view(np.int8).reshape(1, 96, 96, 1)]
                for f in ("person_96x96_uint8.npy", "no_person_96x96_uint8.npy")]
    return []


def _check(rel: str, n_random: int) -> None:
    graph = load_model(shared_model(rel))
    rng = np.random.default_rng(1234)
    assert_matches_tflm(graph, _real_samples(rel) + [random_inputs(graph, rng)
                                                     for _ in range(n_random)])


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_every_tensor_bit_exact(rel):
    _check(rel, 3)


@pytest.mark.slow
@pytest.mark.parametrize("rel", INT8_MODELS)
def test_every_tensor_bit_exact_20_inputs(rel):
    _check(rel, 20)


@pytest.mark.parametrize("rel", FLOAT_MODELS)
def test_float_path_within_1e3_of_tflm(rel):
    _check(rel, 5)
