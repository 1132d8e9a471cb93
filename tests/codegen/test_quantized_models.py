"""The models `mcugen quantize` makes from the shared float and hybrid models, generated as C and
built for the host: byte-identical to the simulator, which equals TFLM on them."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.model import load_model, serialize_model
from mcugen.quantize import quantize_model
from mcugen.sim import Simulator
from tests.oracle import Tflm, shared_model
from tests.quantize.conftest import QUANTIZER_MODELS, calibration_samples
from tests.sim.compare import random_inputs


@pytest.mark.parametrize("rel", QUANTIZER_MODELS)
def test_quantized_model_host_build_is_bit_exact(rel, host_build):
    float_graph = load_model(shared_model(rel))
    samples = [[x] for x in calibration_samples(rel, 16)]
    graph = quantize_model(float_graph, samples).graph
    graph.name = f"{float_graph.name}_q"
    model = host_build(graph, "portable", True)          # sanitizer build
    rng = np.random.default_rng(11)
    inputs = [random_inputs(graph, rng) for _ in range(10)]
    sim = Simulator(graph)
    tflm = Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        expected = sim.run(x).outputs
        for g, e, o in zip(got, expected, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()
