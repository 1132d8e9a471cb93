"""Single-operator property tests vs TFLM for the data-movement operators: PAD, PADV2,
CONCATENATION, STRIDED_SLICE, TRANSPOSE, RESHAPE, SQUEEZE, EXPAND_DIMS (int8, int16 and float32).

Output shapes are computed here with Python's own slicing/numpy rules, independently of the
simulator; the values come from TFLM.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mcugen.errors import InputError
from mcugen.model.builder import GraphBuilder
from mcugen.sim import Simulator
from tests.sim.single_op import check
from tests.strategies import (concat_case, examples, pad_case, reshape_case, slice_case,
                              transpose_case)


def _quant(dtype, q):
    if dtype == np.int16:           # 16x8: symmetric int16, zero point 0 (TFLM requires it)
        return {"scale": q[0], "zero_point": 0}
    return {"scale": q[0], "zero_point": q[1]} if dtype == np.int8 else {}


# -- PAD / PADV2 ---------------------------------------------------------------------------------

def pad_graph(c):
    b = GraphBuilder("pad")
    quant = _quant(c["dtype"], c["q"])
    x = b.input("x", c["shape"], c["dtype"], **quant)
    paddings = b.const("paddings", np.array(c["paddings"], np.int32).reshape(-1, 2))
    out_shape = tuple(d + lo + hi for d, (lo, hi) in zip(c["shape"], c["paddings"]))
    y = b.tensor("y", out_shape, c["dtype"], **quant)
    if c["v2"]:
        value = np.array([c["value"] * (97 if c["dtype"] == np.int16 else 1)], c["dtype"]) \
            if c["dtype"] != np.float32 else np.array([c["value"] / 7.0], np.float32)
        cv = b.const("constant_values", value.reshape(()), **quant)
        b.op("PADV2", [x, paddings, cv], [y], "PadV2Options")
    else:
        b.op("PAD", [x, paddings], [y], "PadOptions")
    b.output(y)
    return b.build()


@given(pad_case())
def test_pad(c):
    check(pad_graph(c), seed=c["seed"])


# -- CONCATENATION -------------------------------------------------------------------------------

def concat_graph(c):
    b = GraphBuilder("concat")
    quant = _quant(c["dtype"], c["q"])
    axis = c["axis"] % len(c["shape"])
    inputs = []
    for n, size in enumerate(c["sizes"]):
        shape = list(c["shape"])
        shape[axis] = size
        inputs.append(b.input(f"x{n}", shape, c["dtype"], **quant))
    out = list(c["shape"])
    out[axis] = sum(c["sizes"])
    y = b.tensor("y", out, c["dtype"], **quant)
    b.op("CONCATENATION", inputs, [y], "ConcatenationOptions", axis=c["axis"],
         fused_activation_function="NONE")
    b.output(y)
    return b.build()


@given(concat_case())
def test_concatenation(c):
    check(concat_graph(c), seed=c["seed"])


def test_concatenation_rejects_requantization():
    """TFLM refuses int8 inputs quantized unlike the output; so does the simulator, in one line."""
    c = dict(shape=(1, 2, 3), axis=2, sizes=[1, 2], dtype=np.int8, q=(0.5, 3), seed=0)
    graph = concat_graph(c)
    graph.tensors[graph.inputs[1]].quant.zero_point[:] = 4
    with pytest.raises(InputError, match="quantized differently"):
        Simulator(graph).run([np.zeros((1, 2, 1), np.int8), np.zeros((1, 2, 2), np.int8)])


# -- STRIDED_SLICE -------------------------------------------------------------------------------

def python_slice_shape(c) -> tuple[int, ...] | None:
    """The output shape by Python's slicing rules (TF's semantics); None when a shrunk axis
    would index out of range (TF rejects that; not a case to test)."""
    probe = np.arange(int(np.prod(c["shape"]))).reshape(c["shape"])
    index = []
    for axis, d in enumerate(c["shape"]):
        if c["shrink"] >> axis & 1:
            i = c["begin"][axis]
            if not -d <= i < d:
                return None
            index.append(i)
        else:
            lo = None if c["begin_mask"] >> axis & 1 else c["begin"][axis]
            hi = None if c["end_mask"] >> axis & 1 else c["end"][axis]
            index.append(slice(lo, hi, c["strides"][axis]))
    return probe[tuple(index)].shape


def slice_graph(c, out_shape):
    b = GraphBuilder("strided_slice")
    quant = _quant(c["dtype"], c["q"])
    x = b.input("x", c["shape"], c["dtype"], **quant)
    ins = [b.const(name, np.array(c[name], np.int32)) for name in ("begin", "end", "strides")]
    y = b.tensor("y", out_shape, c["dtype"], **quant)
    b.op("STRIDED_SLICE", [x, *ins], [y], "StridedSliceOptions", begin_mask=c["begin_mask"],
         end_mask=c["end_mask"], ellipsis_mask=0, new_axis_mask=0,
         shrink_axis_mask=c["shrink"], offset=False)
    b.output(y)
    return b.build()


def selecting_slice_shape(c) -> tuple[int, ...]:
    """The output shape of a case that makes a real model; ``assume`` rejects the others (an
    out-of-range shrunk index, empty or scalar outputs: TFLM cannot allocate them)."""
    out_shape = python_slice_shape(c)
    assume(out_shape is not None and 0 not in out_shape and out_shape != ())
    return out_shape


@examples(80)
@given(slice_case())
def test_strided_slice(c):
    check(slice_graph(c, selecting_slice_shape(c)), seed=c["seed"])


# -- TRANSPOSE -----------------------------------------------------------------------------------

def transpose_graph(c):
    b = GraphBuilder("transpose")
    quant = _quant(c["dtype"], c["q"])
    x = b.input("x", c["shape"], c["dtype"], **quant)
    perm = b.const("perm", np.array(c["perm"], np.int32))
    y = b.tensor("y", [c["shape"][p] for p in c["perm"]], c["dtype"], **quant)
    b.op("TRANSPOSE", [x, perm], [y], "TransposeOptions")
    b.output(y)
    return b.build()


@given(transpose_case())
def test_transpose(c):
    check(transpose_graph(c), seed=c["seed"])


# -- RESHAPE / SQUEEZE / EXPAND_DIMS -------------------------------------------------------------

def reshape_graph(c):
    b = GraphBuilder(c["op"].lower())
    quant = _quant(c["dtype"], c["q"])
    if c["op"] == "SQUEEZE":
        # the input is the shape with a 1 inserted at `axis`; squeezing that axis gives it back
        position = c["axis"] % (len(c["shape"]) + 1)
        shape = list(c["shape"])
        shape.insert(position, 1)
        x = b.input("x", shape, c["dtype"], **quant)
        y = b.tensor("y", c["shape"], c["dtype"], **quant)
        b.op("SQUEEZE", [x], [y], "SqueezeOptions", squeeze_dims=[c["axis"]])
    elif c["op"] == "EXPAND_DIMS":
        x = b.input("x", c["shape"], c["dtype"], **quant)
        axis = c["axis"]
        out = list(c["shape"])
        out.insert(axis if axis >= 0 else len(out) + 1 + axis, 1)
        a = b.const("axis", np.array([axis], np.int32))
        y = b.tensor("y", out, c["dtype"], **quant)
        b.op("EXPAND_DIMS", [x, a], [y], "ExpandDimsOptions")
    else:
        x = b.input("x", c["shape"], c["dtype"], **quant)
        s = b.const("shape", np.array(c["new_shape"], np.int32))
        y = b.tensor("y", c["new_shape"], c["dtype"], **quant)
        b.op("RESHAPE", [x, s], [y], "ReshapeOptions", new_shape=list(c["new_shape"]))
    b.output(y)
    return b.build()


@given(reshape_case())
def test_reshape_family(c):
    check(reshape_graph(c), seed=c["seed"])


# -- int16 (16x8 models) -------------------------------------------------------------------------
INT16 = st.just(np.int16)


@examples(20)
@given(pad_case(dtypes=INT16))
def test_pad_int16(c):
    check(pad_graph(c), seed=c["seed"])


@examples(20)
@given(concat_case(dtypes=INT16))
def test_concatenation_int16(c):
    check(concat_graph(c), seed=c["seed"])


def test_concatenation_int16_rejects_other_scales():
    """TFLM copies int16 bytes whatever the inputs' scales: mcugen refuses such a model."""
    c = dict(shape=(1, 2, 3), axis=2, sizes=[1, 2], dtype=np.int16, q=(0.5, 0), seed=0)
    graph = concat_graph(c)
    graph.tensors[graph.inputs[1]].quant.scale[:] = 0.25
    with pytest.raises(InputError, match="quantized differently"):
        Simulator(graph).run([np.zeros((1, 2, 1), np.int16), np.zeros((1, 2, 2), np.int16)])


@examples(40)
@given(slice_case(dtypes=INT16))
def test_strided_slice_int16(c):
    check(slice_graph(c, selecting_slice_shape(c)), seed=c["seed"])


@examples(20)
@given(transpose_case(dtypes=INT16))
def test_transpose_int16(c):
    check(transpose_graph(c), seed=c["seed"])


@examples(20)
@given(reshape_case(dtypes=INT16))
def test_reshape_family_int16(c):
    check(reshape_graph(c), seed=c["seed"])
