"""Reading and writing .tflite: every shared model round-trips, checked by the TFLM oracle."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.model import load_model, parse_model, serialize_model
from mcugen.model.schema import fb
from tests.oracle import ALL_MODELS, HYBRID_MODELS, Tflm, shared_model


def _random_input(details: dict, rng: np.random.Generator) -> np.ndarray:
    shape, dtype = details["shape"], details["dtype"]
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("rel", ALL_MODELS)
def test_round_trip_preserves_graph(rel):
    graph = load_model(shared_model(rel))
    again = parse_model(serialize_model(graph), name=graph.name)
    assert again.tensors == graph.tensors
    assert again.operators == graph.operators
    assert (again.inputs, again.outputs) == (graph.inputs, graph.outputs)
    assert again.metadata == graph.metadata


@pytest.mark.parametrize("rel", [m for m in ALL_MODELS if m not in HYBRID_MODELS])
def test_written_model_runs_identically_in_tflm(rel):
    path = shared_model(rel)
    original = Tflm(path, preserve_all=False)
    written = Tflm(serialize_model(load_model(path)), preserve_all=False)
    rng = np.random.default_rng(7)
    for _ in range(5):
        x = _random_input(original.input_details(0), rng)
        a, b = original.run([x]), written.run([x])
        assert len(a) == len(b)
        for ya, yb in zip(a, b):
            assert ya.dtype == yb.dtype and ya.tobytes() == yb.tobytes()


@pytest.mark.parametrize("rel", HYBRID_MODELS)
def test_hybrid_round_trip_compares_flatbuffer_tables(rel):
    """TFLM refuses hybrid models, so compare the raw flatbuffer tables instead."""
    path = shared_model(rel)
    a = fb.ModelT.InitFromPackedBuf(bytearray(path.read_bytes()), 0)
    b = fb.ModelT.InitFromPackedBuf(bytearray(serialize_model(load_model(path))), 0)
    sa, sb = a.subgraphs[0], b.subgraphs[0]
    assert len(sa.tensors) == len(sb.tensors) and len(sa.operators) == len(sb.operators)
    for ta, tb in zip(sa.tensors, sb.tensors):
        assert (list(ta.shape), ta.type, ta.name) == (list(tb.shape), tb.type, tb.name)
        da = a.buffers[ta.buffer].data
        db = b.buffers[tb.buffer].data
        assert (da is None or len(da) == 0) == (db is None or len(db) == 0)
        if da is not None and len(da):
            assert bytes(bytearray(da)) == bytes(bytearray(db))
    for oa, ob in zip(sa.operators, sb.operators):
        ca, cb = a.operatorCodes[oa.opcodeIndex], b.operatorCodes[ob.opcodeIndex]
        assert max(ca.builtinCode, ca.deprecatedBuiltinCode) == max(cb.builtinCode, cb.deprecatedBuiltinCode)
        assert list(oa.inputs) == list(ob.inputs) and list(oa.outputs) == list(ob.outputs)
        assert oa.builtinOptionsType == ob.builtinOptionsType
        options = lambda o: vars(o.builtinOptions) if o.builtinOptions is not None else None  # noqa: E731
        assert options(oa) == options(ob)


def test_written_file_is_deterministic():
    graph = load_model(shared_model("mlperf_tiny/kws_ref_model.tflite"))
    assert serialize_model(graph) == serialize_model(graph)
