"""Every shared float/hybrid model quantizes; TFLM loads and runs the result; the result follows
the spec; mcugen's simulator equals TFLM bit for bit on it. The oracle is TFLM's interpreter."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from mcugen.model import load_model, parse_model, serialize_model
from mcugen.quantize import check, quantize_model
from mcugen.quantize.report import to_model_input
from mcugen.quantize.rewrite import prepare_float
from mcugen.sim import Simulator
from tests.oracle import Tflm, shared_model

from .conftest import FLOAT_ARITH, QUANT_ARITH, QUANTIZER_MODELS, calibration_samples, require_sim

CALIB = 16       # samples: lean default tier
EVAL = 3         # inputs compared bit for bit per model


@functools.lru_cache(maxsize=None)
def _quantized(rel: str, io: str) -> bytes:
    graph = load_model(shared_model(rel))
    require_sim(prepare_float(graph), FLOAT_ARITH)
    samples = [[x] for x in calibration_samples(rel, CALIB)]
    return serialize_model(quantize_model(graph, samples, io=io).graph)


@pytest.mark.parametrize("rel", QUANTIZER_MODELS)
def test_quantized_model_conforms_and_runs_in_tflm(rel):
    data = _quantized(rel, "int8")
    graph = parse_model(data)
    assert check(graph) == []
    for i in graph.inputs + graph.outputs:
        assert graph.tensors[i].dtype == np.int8
    assert all(t.dtype != np.float32 for t in graph.tensors)   # nothing float left anywhere
    oracle = Tflm(data)
    x = calibration_samples(rel, 1, seed=1000)[0]
    out = oracle.run([to_model_input(x, graph.tensors[graph.inputs[0]])])
    assert out[0].dtype == np.int8 and out[0].size == graph.tensors[graph.outputs[0]].size


@pytest.mark.parametrize("rel", QUANTIZER_MODELS)
@pytest.mark.parametrize("io", ["int8", "float", "uint8"])
def test_simulator_equals_tflm_bit_for_bit(rel, io):
    if io != "int8" and "resnet8" in rel:
        pytest.skip("I/O adapters are covered on the smaller models (lean default tier)")
    data = _quantized(rel, io)
    graph = parse_model(data)
    require_sim(graph, QUANT_ARITH)
    sim, oracle = Simulator(graph), Tflm(data, preserve_all=False)
    t_in = graph.tensors[graph.inputs[0]]
    assert t_in.dtype == {"int8": np.int8, "uint8": np.uint8, "float": np.float32}[io]
    for x in calibration_samples(rel, EVAL, seed=2000):
        model_input = to_model_input(x, t_in)
        expected = oracle.run([model_input])[0]
        got = sim.run([model_input]).outputs[0]
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.reshape(expected.shape), expected)


@pytest.mark.parametrize("float_rel,int8_rel", [
    ("mlperf_tiny/resnet8_float.tflite", "mlperf_tiny/resnet8_int8.tflite"),
    ("mlperf_tiny/ad01_float.tflite", "mlperf_tiny/ad01_int8.tflite"),
])
def test_same_ranges_give_the_tf_converters_parameters(float_rel, int8_rel):
    """Given the TF converter's activation ranges, the rewriter reproduces its weights, biases
    and activation parameters (an independent implementation of the same spec)."""
    from mcugen.quantize.rewrite import rewrite
    fg = prepare_float(load_model(shared_model(float_rel)))
    tf = load_model(shared_model(int8_rel))
    ranges = {}
    for t in tf.tensors:
        if not t.is_constant:
            s, z = float(t.quant.scale[0]), int(t.quant.zero_point[0])
            ranges[t.index] = (s * (-128 - z), s * (127 - z))
    ours = rewrite(fg, ranges)
    for t in tf.tensors:
        mine = ours.tensors[t.index]
        assert mine.dtype == t.dtype, t.name
        if t.quant is not None:
            np.testing.assert_array_equal(mine.quant.scale, t.quant.scale, err_msg=t.name)
            np.testing.assert_array_equal(mine.quant.zero_point, t.quant.zero_point)
        if t.is_constant and t.dtype == np.int32 and t.quant is not None:      # biases
            np.testing.assert_array_equal(mine.data, t.data, err_msg=t.name)
        if t.is_constant and t.dtype == np.int8:                                # weights
            diff = np.argwhere(mine.data.astype(int) != t.data)
            # TF rounds w/s in another float order; they may differ only on exact .5 ties
            w = fg.tensors[t.index].data.astype(np.float64)
            s = t.quant.scale.astype(np.float64)
            for idx in map(tuple, diff):
                c = idx[t.quant.axis] if t.quant.scale.size > 1 else 0
                ratio = w[idx] / s[c]
                assert abs(abs(ratio - np.floor(ratio)) - 0.5) < 1e-5, (t.name, idx, ratio)
                assert abs(int(mine.data[idx]) - int(t.data[idx])) == 1
            assert len(diff) <= 2


def test_hybrid_weights_are_dequantized_then_requantized_per_channel():
    graph = load_model(shared_model("mlperf_tiny/kws_ref_model_hybrid.tflite"))
    fg = prepare_float(graph)
    conv = graph.operators[0]
    hybrid_w = graph.tensors[conv.inputs[1]]
    assert hybrid_w.dtype == np.int8 and hybrid_w.quant.scale.size == 1
    np.testing.assert_array_equal(
        fg.tensors[conv.inputs[1]].data,
        (hybrid_w.data.astype(np.float64) * float(hybrid_w.quant.scale[0])).astype(np.float32))
