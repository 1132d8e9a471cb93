"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: simulator and portable C against TFLM on random
shapes, blocks, paddings and crops (int8 with zero point 0, where TFLM and TFLite agree, and
float); the refusals (int8 padding with another zero point, int16, a declared dynamic batch)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.errors import InputError, UnsupportedOperatorError
from mcugen.model.builder import GraphBuilder
from mcugen.sim import Simulator
from tests.codegen.conftest import host_build  # noqa: F401 - the fixture
from tests.sim.compare import random_inputs
from tests.sim.single_op import check
from tests.strategies import examples


@st.composite
def space_batch_case(draw):
    rank = draw(st.sampled_from([3, 4]))
    spatial = rank - 2
    block = [draw(st.integers(1, 3)) for _ in range(spatial)]
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 5))
    sizes, pads = [], []
    for b in block:
        # no padding: the pinned TFLM fills it with an uninitialised value (refused below)
        sizes.append(b * draw(st.integers(1, 4)))
        pads.append([0, 0])
    return rank, n, sizes, c, block, pads, draw(st.sampled_from(["int8", "float32"]))


def stb_graph(n, sizes, c, block, pads, dtype, zp=0, bts_crops=None, declare_batch=None):
    """x -> SPACE_TO_BATCH_ND [-> BATCH_TO_SPACE_ND with ``bts_crops``]."""
    b = GraphBuilder("space_batch")
    dt = np.dtype(dtype)
    quant = {"scale": 0.1, "zero_point": zp} if dt != np.float32 else {}
    x = b.input("x", (n, *sizes, c), dt, **quant)
    mid = [(s + p0 + p1) // k for s, (p0, p1), k in zip(sizes, pads, block)]
    batch = n * int(np.prod(block))
    s = b.tensor("s", (declare_batch or batch, *mid, c), dt, **quant)
    b.op("SPACE_TO_BATCH_ND", [x, b.const("block", np.array(block, np.int32)),
                               b.const("pads", np.array(pads, np.int32))], [s],
         "SpaceToBatchNDOptions")
    out = s
    if bts_crops is not None:
        full = [m * k - c0 - c1 for m, k, (c0, c1) in zip(mid, block, bts_crops)]
        out = b.tensor("y", (n, *full, c), dt, **quant)
        b.op("BATCH_TO_SPACE_ND", [s, b.const("block2", np.array(block, np.int32)),
                                   b.const("crops", np.array(bts_crops, np.int32))], [out],
             "BatchToSpaceNDOptions")
    b.output(out)
    return b.build()


def _crops(sizes, pads, block):
    """Crops that keep at least one row and stay within one block, as a converter writes them."""
    return [[min(k - 1, 1), min(k - 1, 1)] if s > 2 else [0, 0]
            for s, (p0, p1), k in zip(sizes, pads, block)]


@examples(30)
@given(space_batch_case())
def test_space_to_batch_and_back_match_tflm(case):
    _, n, sizes, c, block, pads, dtype = case
    check(stb_graph(n, sizes, c, block, pads, dtype))
    check(stb_graph(n, sizes, c, block, pads, dtype, bts_crops=_crops(sizes, pads, block)))


@examples(4)
@given(space_batch_case())
def test_space_batch_in_c_matches_tflm(host_build, case):  # noqa: F811 - the fixture
    from mcugen.model import serialize_model
    from tests.oracle import Tflm
    _, n, sizes, c, block, pads, _ = case
    graph = stb_graph(n, sizes, c, block, pads, "int8", bts_crops=_crops(sizes, pads, block))
    model = host_build(graph, "portable", True)          # the ASan/UBSan build
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng) for _ in range(3)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


@pytest.mark.parametrize("dtype,zp", [("int8", -128), ("int8", 0), ("float32", 0)])
def test_padding_is_refused(dtype, zp):
    g = stb_graph(1, [6], 2, [2], [[2, 2]], dtype, zp=zp)
    with pytest.raises(UnsupportedOperatorError, match="uninitialised value"):
        Simulator(g).run(random_inputs(g, np.random.default_rng(0)))
    # without padding the zero point does not matter
    check(stb_graph(1, [6], 2, [2], [[0, 0]], "int8", zp=-128))


def test_int16_is_refused_and_a_dynamic_batch_declared_as_one_too():
    g = stb_graph(1, [6], 2, [2], [[0, 0]], "int8", declare_batch=1)
    with pytest.raises(InputError, match="declared output shape"):
        Simulator(g).run(random_inputs(g, np.random.default_rng(0)))
    g16 = stb_graph(1, [6], 2, [2], [[0, 0]], "int16")
    with pytest.raises(UnsupportedOperatorError):
        Simulator(g16)
