"""The conformance checker accepts the TF converter's int8 models and catches each violation."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from mcugen.model import load_model
from mcugen.quantize import check
from tests.oracle import INT8_MODELS, shared_model


@pytest.mark.parametrize("rel", INT8_MODELS)
def test_tf_converter_int8_models_conform(rel):
    assert check(load_model(shared_model(rel))) == []


@pytest.fixture(scope="module")
def resnet8():
    return load_model(shared_model("mlperf_tiny/resnet8_int8.tflite"))


def _violations(graph, mutate):
    g = copy.deepcopy(graph)
    mutate(g)
    return check(g)


def _conv(g, n=0):
    return [op for op in g.operators if op.opcode == "CONV_2D"][n]


@pytest.mark.parametrize("what,mutate,expect", [
    ("weight -128", lambda g: g.tensors[_conv(g).inputs[1]].data.__setitem__((0, 0, 0, 0), -128),
     "-128"),
    ("per-tensor conv weights", lambda g: setattr(
        g.tensors[_conv(g).inputs[1]].quant, "scale",
        g.tensors[_conv(g).inputs[1]].quant.scale[:1]), "per-channel"),
    ("weight zero point", lambda g: g.tensors[_conv(g).inputs[1]].quant.zero_point.__setitem__(
        0, 3), "zero points must be 0"),
    ("bias scale", lambda g: g.tensors[_conv(g).inputs[2]].quant.scale.__setitem__(0, 1.0),
     "s_input * s_weight"),
    ("softmax output", lambda g: g.tensors[g.outputs[0]].quant.zero_point.__setitem__(0, 0),
     "must be scale 0.00390625"),
    ("pool keeps params", lambda g: g.tensors[[op for op in g.operators
                                              if op.opcode == "AVERAGE_POOL_2D"][0].outputs[0]]
     .quant.scale.__setitem__(0, 0.5), "share scale and zero point"),
    ("float activation", lambda g: setattr(g.tensors[_conv(g).outputs[0]], "dtype",
                                           np.dtype(np.float32)), "must be int8"),
    ("zero point outside int8", lambda g: g.tensors[_conv(g, 1).outputs[0]].quant.zero_point
     .__setitem__(0, 200), "excludes 0"),
])
def test_each_violation_is_reported(resnet8, what, mutate, expect):
    problems = _violations(resnet8, mutate)
    assert problems, what
    assert any(expect in p for p in problems), problems
    assert all(p.startswith("operator ") for p in problems)   # names the operator
