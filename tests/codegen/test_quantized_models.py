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


@pytest.mark.parametrize("io", ["uint8", "float"])
@pytest.mark.parametrize("rel", ["tflm/hello_world_float.tflite", "mlperf_tiny/ad01_float.tflite"])
def test_uint8_and_float_io_models(rel, io, host_build):
    """`mcugen quantize --io uint8|float` models: the C API takes uint8_t / float pointers and
    the edges quantize inside the model, byte-identical to the simulator and TFLM."""
    float_graph = load_model(shared_model(rel))
    samples = [[x] for x in calibration_samples(rel, 16)]
    graph = quantize_model(float_graph, samples, io=io).graph
    graph.name = f"{float_graph.name}_{io}"
    model = host_build(graph, "portable", True)
    header = (model.rendered.out_dir / f"{model.rendered.name}_model.h").read_text()
    ctype = {"uint8": "uint8_t", "float": "float"}[io]
    assert f"int {model.rendered.name}_invoke(const {ctype} *input0, {ctype} *output0)" in header
    inputs = [[x] for x in calibration_samples(rel, 6, seed=77)]
    if io == "uint8":
        rng = np.random.default_rng(3)
        t = graph.tensors[graph.inputs[0]]
        inputs = [[rng.integers(0, 256, size=t.shape).astype(np.uint8)] for _ in range(6)]
    sim = Simulator(graph)
    tflm = Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()
