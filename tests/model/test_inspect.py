"""`mcugen inspect`, checked against independent sources: the TFLM interpreter's I/O details,
counts read straight from the flatbuffer, and the published MAC counts in ../shared/benchmarks."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.model.schema import fb
from tests.oracle import ALL_MODELS, HYBRID_MODELS, Tflm, published_figures, shared_model


def _inspect_json(path, capsys) -> dict:
    assert main(["inspect", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("rel", ALL_MODELS)
def test_counts_match_flatbuffer(rel, capsys):
    path = shared_model(rel)
    facts = _inspect_json(path, capsys)
    raw = fb.Model.GetRootAs(path.read_bytes(), 0).Subgraphs(0)
    assert len(facts["ops"]) == raw.OperatorsLength()
    assert [o["index"] for o in facts["ops"]] == list(range(raw.OperatorsLength()))
    codes = fb.Model.GetRootAs(path.read_bytes(), 0)
    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    for i, op in enumerate(facts["ops"]):
        oc = codes.OperatorCodes(raw.Operators(i).OpcodeIndex())
        assert op["opcode"] == names[max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())]


@pytest.mark.parametrize("rel", [m for m in ALL_MODELS if m not in HYBRID_MODELS])
def test_io_matches_tflm_interpreter(rel, capsys):
    path = shared_model(rel)
    facts = _inspect_json(path, capsys)
    tflm = Tflm(path, preserve_all=False)
    for i, f in enumerate(facts["inputs"]):
        d = tflm.input_details(i)
        assert f["shape"] == list(d["shape"]) and f["dtype"] == np.dtype(d["dtype"]).name
        q = d["quantization_parameters"]
        if len(q["scales"]):
            assert f["quantization"]["scale"] == pytest.approx(float(q["scales"][0]), rel=1e-7)
            assert f["quantization"]["zero_point"] == int(q["zero_points"][0])
    for i, f in enumerate(facts["outputs"]):
        d = tflm.output_details(i)
        assert f["shape"] == list(d["shape"]) and f["dtype"] == np.dtype(d["dtype"]).name


@pytest.mark.parametrize("key,rel", [
    ("kws", "mlperf_tiny/kws_ref_model.tflite"), ("vww", "mlperf_tiny/vww_96_int8.tflite"),
    ("resnet8", "mlperf_tiny/resnet8_int8.tflite"), ("ad01", "mlperf_tiny/ad01_int8.tflite"),
    ("person_detect", "tflm/person_detect_int8.tflite")])
def test_macs_match_published_counts(key, rel, capsys):
    facts = _inspect_json(shared_model(rel), capsys)
    assert facts["total_macs"] == published_figures("Multiply-accumulates")[key]


@pytest.mark.parametrize("rel,kind", [
    ("mlperf_tiny/kws_ref_model.tflite", "int8"),
    ("mlperf_tiny/resnet8_float.tflite", "float32"),
    ("mlperf_tiny/kws_ref_model_hybrid.tflite", "hybrid"),
    ("tflm/hello_world_float.tflite", "float32")])
def test_verdict_kind(rel, kind, capsys):
    assert _inspect_json(shared_model(rel), capsys)["kind"] == kind


def test_table_output_runs_as_a_program():
    path = shared_model("tflm/hello_world_int8.tflite")
    out = subprocess.run([sys.executable, "-m", "mcugen", "inspect", str(path)],
                         capture_output=True, text=True, check=True).stdout
    assert "FULLY_CONNECTED" in out and "verdict:" in out
