"""Single-operator property tests vs TFLM for the data-movement operators: PAD, PADV2,
CONCATENATION, STRIDED_SLICE, TRANSPOSE, RESHAPE, SQUEEZE, EXPAND_DIMS (int8 and float32).

Output shapes are computed here with Python's own slicing/numpy rules, independently of the
simulator; the values come from TFLM.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.errors import InputError
from mcugen.model.builder import GraphBuilder
from mcugen.sim import Simulator
from tests.sim.single_op import (DEFAULT_EXAMPLES, SLOW_EXAMPLES, budget, check, scales,
                                 slow_selected, zero_points)  # noqa: F401

dtypes = st.sampled_from([np.int8, np.float32])
small_shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


def _quant(dtype, q):
    return {"scale": q[0], "zero_point": q[1]} if dtype == np.int8 else {}


# -- PAD / PADV2 ---------------------------------------------------------------------------------

@st.composite
def pad_case(draw):
    shape = draw(small_shapes)
    return dict(shape=shape, dtype=draw(dtypes), q=(draw(scales), draw(zero_points)),
                paddings=[(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in shape],
                v2=draw(st.booleans()), value=draw(st.integers(-128, 127)),
                seed=draw(st.integers(0, 2**31)))


def pad_graph(c):
    b = GraphBuilder("pad")
    quant = _quant(c["dtype"], c["q"])
    x = b.input("x", c["shape"], c["dtype"], **quant)
    paddings = b.const("paddings", np.array(c["paddings"], np.int32).reshape(-1, 2))
    out_shape = tuple(d + lo + hi for d, (lo, hi) in zip(c["shape"], c["paddings"]))
    y = b.tensor("y", out_shape, c["dtype"], **quant)
    if c["v2"]:
        value = np.array([c["value"]], c["dtype"]) if c["dtype"] == np.int8 \
            else np.array([c["value"] / 7.0], np.float32)
        cv = b.const("constant_values", value.reshape(()), **quant)
        b.op("PADV2", [x, paddings, cv], [y], "PadV2Options")
    else:
        b.op("PAD", [x, paddings], [y], "PadOptions")
    b.output(y)
    return b.build()


@budget(DEFAULT_EXAMPLES)
@given(pad_case())
def test_pad(c):
    check(pad_graph(c), seed=c["seed"])


@pytest.mark.slow
@budget(SLOW_EXAMPLES)
@given(pad_case())
def test_pad_slow(slow_selected, c):
    check(pad_graph(c), seed=c["seed"])


# -- CONCATENATION -------------------------------------------------------------------------------

@st.composite
def concat_case(draw):
    shape = draw(small_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    return dict(shape=shape, axis=axis, sizes=sizes, dtype=draw(dtypes),
                q=(draw(scales), draw(zero_points)), seed=draw(st.integers(0, 2**31)))


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


@budget(DEFAULT_EXAMPLES)
@given(concat_case())
def test_concatenation(c):
    check(concat_graph(c), seed=c["seed"])


@pytest.mark.slow
@budget(SLOW_EXAMPLES)
@given(concat_case())
def test_concatenation_slow(slow_selected, c):
    check(concat_graph(c), seed=c["seed"])


def test_concatenation_rejects_requantization():
    """TFLM refuses int8 inputs quantized unlike the output; so does the simulator, in one line."""
    c = dict(shape=(1, 2, 3), axis=2, sizes=[1, 2], dtype=np.int8, q=(0.5, 3), seed=0)
    graph = concat_graph(c)
    graph.tensors[graph.inputs[1]].quant.zero_point[:] = 4
    with pytest.raises(InputError, match="quantized differently"):
        Simulator(graph).run([np.zeros((1, 2, 1), np.int8), np.zeros((1, 2, 2), np.int8)])


# -- STRIDED_SLICE -------------------------------------------------------------------------------

@st.composite
def slice_case(draw):
    shape = draw(small_shapes)
    rank = len(shape)
    begin = [draw(st.integers(-d - 2, d + 2)) for d in shape]
    end = [draw(st.integers(-d - 2, d + 2)) for d in shape]
    # the stride's sign follows the direction from begin to end (normalised), so that most
    # cases select something; masks and clamping still produce every other combination
    strides = [draw(st.integers(1, 3)) * (1 if (b % d if -d <= b < d else b) <=
                                          (e % d if -d <= e < d else e) else -1)
               for b, e, d in zip(begin, end, shape)]
    masks = [draw(st.integers(0, 2**rank - 1)) for _ in range(3)]
    # shrink only axes whose begin is a valid index, and never all of them (a scalar output)
    shrinkable = sum(1 << a for a, (b, d) in enumerate(zip(begin, shape)) if -d <= b < d)
    masks[2] &= shrinkable
    if masks[2] == 2**rank - 1:
        masks[2] &= ~1
    # A shrunk axis going backward makes TFLM copy nothing (its loop runs i > begin + 1) and
    # leave the output unwritten: no value to compare, so shrunk axes step forward here.
    strides = [1 if masks[2] >> axis & 1 else s for axis, s in enumerate(strides)]
    return dict(shape=shape, begin=begin, end=end, strides=strides, begin_mask=masks[0],
                end_mask=masks[1], shrink=masks[2], dtype=draw(dtypes),
                q=(draw(scales), draw(zero_points)), seed=draw(st.integers(0, 2**31)))


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


def _check_slice(c):
    out_shape = python_slice_shape(c)
    if out_shape is None or 0 in out_shape or out_shape == ():
        return       # empty or scalar outputs: TFLM cannot allocate them; not a real model
    check(slice_graph(c, out_shape), seed=c["seed"])


@budget(DEFAULT_EXAMPLES * 2)
@given(slice_case())
def test_strided_slice(c):
    _check_slice(c)


@pytest.mark.slow
@budget(SLOW_EXAMPLES)
@given(slice_case())
def test_strided_slice_slow(slow_selected, c):
    _check_slice(c)


# -- TRANSPOSE -----------------------------------------------------------------------------------

@st.composite
def transpose_case(draw):
    shape = draw(small_shapes)
    return dict(shape=shape, perm=draw(st.permutations(range(len(shape)))), dtype=draw(dtypes),
                q=(draw(scales), draw(zero_points)), seed=draw(st.integers(0, 2**31)))


def transpose_graph(c):
    b = GraphBuilder("transpose")
    quant = _quant(c["dtype"], c["q"])
    x = b.input("x", c["shape"], c["dtype"], **quant)
    perm = b.const("perm", np.array(c["perm"], np.int32))
    y = b.tensor("y", [c["shape"][p] for p in c["perm"]], c["dtype"], **quant)
    b.op("TRANSPOSE", [x, perm], [y], "TransposeOptions")
    b.output(y)
    return b.build()


@budget(DEFAULT_EXAMPLES)
@given(transpose_case())
def test_transpose(c):
    check(transpose_graph(c), seed=c["seed"])


# -- RESHAPE / SQUEEZE / EXPAND_DIMS -------------------------------------------------------------

@st.composite
def reshape_case(draw):
    shape = draw(small_shapes)
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(divisors))
    return dict(shape=shape, new_shape=(first, size // first), op=draw(
        st.sampled_from(["RESHAPE", "SQUEEZE", "EXPAND_DIMS"])), axis=draw(
        st.integers(-len(shape) - 1, len(shape))), dtype=draw(dtypes),
        q=(draw(scales), draw(zero_points)), seed=draw(st.integers(0, 2**31)))


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


@budget(DEFAULT_EXAMPLES)
@given(reshape_case())
def test_reshape_family(c):
    check(reshape_graph(c), seed=c["seed"])
