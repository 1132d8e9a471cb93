"""`mcugen simulate`: outputs and every dumped tensor equal TFLM's; bad input is one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from mcugen.cli import main
from tests.oracle import Tflm, shared_input, shared_model

KWS = "mlperf_tiny/kws_ref_model.tflite"


def test_output_and_dump_match_tflm(tmp_path):
    model = shared_model(KWS)
    x = shared_input("kws_sample_int8.npy")
    np.save(tmp_path / "x.npy", x)
    assert main(["simulate", str(model), "--input", str(tmp_path / "x.npy"), "--output",
                 str(tmp_path / "y.npy"), "--dump", str(tmp_path / "dump")]) == 0
    tflm = Tflm(model)
    expected = tflm.run([x])[0]
    assert np.load(tmp_path / "y.npy").tobytes() == expected.tobytes()
    dumped = sorted((tmp_path / "dump").glob("*.npy"))
    assert len(dumped) > 10
    for path in dumped:
        index = int(path.name.split("_")[0])
        assert np.load(path).tobytes() == tflm.tensor(index).tobytes(), path.name


def test_wrong_shape_is_one_line_exit_2(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((3, 3), np.int8))
    proc = subprocess.run([sys.executable, "-m", "mcugen", "simulate", str(shared_model(KWS)),
                           "--input", str(tmp_path / "bad.npy")], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "needs int8[1, 49, 10, 1]" in proc.stderr


def test_unsupported_operator_is_named():
    proc = subprocess.run([sys.executable, "-m", "mcugen", "simulate",
                           str(shared_model("tflm/mnist_lstm_int8.tflite")), "--input",
                           "/dev/null"], capture_output=True, text=True)
    assert proc.returncode == 2


def test_lstm_model_unsupported_operator_message(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 28, 28), np.int8))
    proc = subprocess.run([sys.executable, "-m", "mcugen", "simulate",
                           str(shared_model("tflm/mnist_lstm_int8.tflite")), "--input",
                           str(tmp_path / "x.npy")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unsupported operator UNIDIRECTIONAL_SEQUENCE_LSTM at index 0" in proc.stderr
