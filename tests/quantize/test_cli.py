"""``mcugen quantize`` on the command line: outputs, errors (one line, exit 2), pass-through."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mcugen.errors import InputError, UnsupportedOperatorError
from mcugen.model import load_model
from mcugen.quantize import quantize_model
from mcugen.quantize.data import load_samples
from mcugen.quantize.rewrite import prepare_float
from tests.oracle import Tflm, shared_model

from .conftest import FLOAT_ARITH, require_sim

HELLO = "tflm/hello_world_float.tflite"


def _mcugen(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "mcugen", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def _peephole_lstm():
    """mnist_lstm_float with a peephole input (TFLM, hence mcugen, takes no peephole LSTM)."""
    graph = load_model(shared_model("tflm/mnist_lstm_float.tflite"))
    lstm = [op for op in graph.operators if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM"][0]
    lstm.inputs[9] = lstm.inputs[12]        # a [20] float constant as the input-gate peephole
    return graph, lstm


def test_unsupported_lstm_is_refused_naming_operator_and_index():
    graph, lstm = _peephole_lstm()
    with pytest.raises(UnsupportedOperatorError) as info:
        quantize_model(graph, [[np.zeros(graph.tensors[graph.inputs[0]].shape, np.float32)]])
    assert info.value.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM"
    assert info.value.index == lstm.index
    assert f"at index {lstm.index}" in str(info.value) and "peephole" in str(info.value)


def test_unsupported_lstm_cli_error_is_one_line_exit_2(tmp_path):
    from mcugen.model import save_model
    graph, _ = _peephole_lstm()
    save_model(graph, tmp_path / "peephole.tflite")
    r = _mcugen("quantize", tmp_path / "peephole.tflite", "--calib", "random",
                "-o", tmp_path / "out.tflite")
    assert r.returncode == 2
    err = [line for line in r.stderr.splitlines() if line.startswith("mcugen: error:")]
    assert len(err) == 1 and "UNIDIRECTIONAL_SEQUENCE_LSTM" in err[0] and "peephole" in err[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out.tflite").exists()


def test_wrong_calibration_shape_names_tensor_and_both_shapes(tmp_path):
    graph = load_model(shared_model("mlperf_tiny/ad01_float.tflite"))
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((10, 639), np.float32))
    with pytest.raises(InputError) as info:
        load_samples(str(bad), graph)
    msg = str(info.value)
    name = graph.tensors[graph.inputs[0]].name
    assert name in msg and "[10, 639]" in msg and "[1, 640]" in msg
    r = _mcugen("quantize", shared_model("mlperf_tiny/ad01_float.tflite"), "--calib", bad,
                "-o", tmp_path / "o.tflite")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "[10, 639]" in r.stderr


def test_calibration_sources_agree(tmp_path):
    """.npy, .npz, a directory and module:function give the same samples."""
    graph = load_model(shared_model(HELLO))
    xs = np.arange(6, dtype=np.float32).reshape(6, 1, 1) / 2
    np.save(tmp_path / "a.npy", xs)
    np.savez(tmp_path / "a.npz", **{graph.tensors[graph.inputs[0]].name: xs})
    (tmp_path / "d").mkdir()
    for n, x in enumerate(xs):
        np.save(tmp_path / "d" / f"{n:02d}.npy", x)
    (tmp_path / "repdata_mod.py").write_text(
        "import numpy as np\n"
        "def rep():\n"
        "    for n in range(6):\n"
        "        yield [np.full((1, 1), n / 2, np.float32)]\n")
    sys.path.insert(0, str(tmp_path))
    try:
        sources = [str(tmp_path / "a.npy"), str(tmp_path / "a.npz"), str(tmp_path / "d"),
                   "repdata_mod:rep"]
        loaded = [load_samples(s, graph) for s in sources]
    finally:
        sys.path.remove(str(tmp_path))
    for samples in loaded:
        assert len(samples) == 6
        np.testing.assert_array_equal(np.stack([s[0] for s in samples]), xs.reshape(6, 1, 1))


def test_int8_model_passes_through_after_conformance_check(tmp_path):
    src = shared_model("mlperf_tiny/ad01_int8.tflite")
    out = tmp_path / "same.tflite"
    r = _mcugen("quantize", src, "--calib", "random", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "already full int8" in r.stdout
    assert load_model(out).fingerprint() == load_model(src).fingerprint()


def test_cli_quantizes_with_report_and_random_warning(tmp_path):
    graph = load_model(shared_model(HELLO))
    require_sim(prepare_float(graph), FLOAT_ARITH)
    out = tmp_path / "hello_int8.tflite"
    r = _mcugen("quantize", shared_model(HELLO), "--calib", "random", "-o", out, "--report",
                "--io", "float")
    assert r.returncode == 0, r.stderr
    assert "accuracy is meaningless" in r.stderr
    assert "output SQNR" in r.stdout
    q = load_model(out)
    assert [op.opcode for op in q.operators][0] == "QUANTIZE"
    assert [op.opcode for op in q.operators][-1] == "DEQUANTIZE"
    y = Tflm(out.read_bytes()).run([np.full((1, 1), 1.0, np.float32)])[0]
    assert y.dtype == np.float32
