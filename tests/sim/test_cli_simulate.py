"""``mcugen simulate``: outputs and --dump against TFLM, .npy/.npz inputs, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.model import load_model, save_model
from mcugen.model.builder import GraphBuilder
from tests.oracle import Tflm, shared_model

REPO = Path(__file__).resolve().parents[2]
KWS = "mlperf_tiny/kws_ref_model.tflite"


def _sample(tmp_path: Path, rel: str, seed: int = 0) -> tuple[Path, np.ndarray]:
    graph = load_model(shared_model(rel))
    t = graph.tensors[graph.inputs[0]]
    x = np.random.default_rng(seed).integers(-128, 128, t.shape).astype(np.int8)
    path = tmp_path / "x.npy"
    np.save(path, x)
    return path, x


def test_output_and_dump_match_tflm(tmp_path, capsys):
    model = shared_model(KWS)
    x_path, x = _sample(tmp_path, KWS)
    out, dump = tmp_path / "y.npy", tmp_path / "dump"
    assert main(["simulate", str(model), "--input", str(x_path), "--output", str(out),
                 "--dump", str(dump)]) == 0
    tflm = Tflm(model, preserve_all=True)
    expected = tflm.run([x])[0]
    assert np.load(out).tobytes() == expected.astype(np.int8).tobytes()
    described = json.loads((dump / "tensors.json").read_text())
    graph = load_model(model)
    computed = set(graph.inputs) | {i for op in graph.operators for i in op.outputs}
    assert {d["index"] for d in described} == computed
    for d in described:
        ours = np.load(dump / d["file"])
        assert d["file"].startswith(f"{d['index']:04d}_")
        assert list(ours.shape) == d["shape"] and str(ours.dtype) == d["dtype"]
        assert ours.tobytes() == tflm.tensor(d["index"]).astype(ours.dtype).tobytes(), d["name"]
    assert "tensors written" in capsys.readouterr().out


def test_json_output(tmp_path, capsys):
    x_path, x = _sample(tmp_path, KWS, seed=1)
    assert main(["simulate", str(shared_model(KWS)), "--input", str(x_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = Tflm(shared_model(KWS)).run([x])[0].ravel().tolist()
    assert data["outputs"][0]["values"] == expected


def _two_input_model(tmp_path: Path) -> Path:
    b = GraphBuilder("two_inputs")
    a = b.input("a", (1, 4), np.float32)
    c = b.input("c", (1, 4), np.float32)
    y = b.tensor("y", (2, 4), np.float32)
    b.op("CONCATENATION", [a, c], [y], "ConcatenationOptions", axis=0,
         fused_activation_function="NONE")
    b.output(y)
    path = tmp_path / "two.tflite"
    save_model(b.build(), path)
    return path


def test_npz_inputs_by_name_and_position(tmp_path):
    model = _two_input_model(tmp_path)
    a, c = np.arange(4, dtype=np.float32).reshape(1, 4), np.ones((1, 4), np.float32)
    for key, args in (("named", {"a": a, "c": c}), ("positional", {"arr_0": a, "arr_1": c})):
        np.savez(tmp_path / f"{key}.npz", **args)
        out = tmp_path / f"{key}_out.npz"
        assert main(["simulate", str(model), "--input", str(tmp_path / f"{key}.npz"),
                     "--output", str(out)]) == 0
        with np.load(out) as result:
            assert np.array_equal(result["y"], np.concatenate([a, c]))


@pytest.mark.parametrize("problem, expected", [
    ("shape", "has shape [3, 7]; the input is [1, 49, 10, 1]"),
    ("dtype", "is int8[1, 49, 10, 1], got float32"),
    ("missing", "input file not found"),
    ("garbage", "cannot read input as .npy/.npz"),
    ("npz_key", "no array named"),
])
def test_bad_inputs_give_one_line(tmp_path, capsys, problem, expected):
    path = tmp_path / "x.npy"
    if problem == "shape":
        np.save(path, np.zeros((3, 7), np.int8))
    elif problem == "dtype":
        np.save(path, np.zeros((1, 49, 10, 1), np.float32))
    elif problem == "garbage":
        path.write_bytes(b"not an array")
    elif problem == "npz_key":
        path = tmp_path / "x.npz"
        np.savez(path, wrong=np.zeros((1, 49, 10, 1), np.int8))
    assert main(["simulate", str(shared_model(KWS)), "--input", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcugen: error: ") and expected in err and "\n" not in err


def test_unsupported_operator_named_with_index(tmp_path):
    """In a subprocess: the real command line, exit code 2, one line, no traceback (an LSTM
    variant TFLM refuses too: peephole)."""
    from tests.sim.single_op import lstm_graph
    graph = lstm_graph(np.int8)
    op = graph.operators[0]
    op.inputs[9] = op.inputs[12]                    # a peephole weight
    model = tmp_path / "peephole.tflite"
    save_model(graph, model)
    t = graph.tensors[graph.inputs[0]]
    x = tmp_path / "x.npy"
    np.save(x, np.zeros(t.shape, t.dtype))
    proc = subprocess.run([sys.executable, "-m", "mcugen", "simulate", str(model), "--input",
                           str(x)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"unsupported operator UNIDIRECTIONAL_SEQUENCE_LSTM at index {op.index}" \
        in proc.stderr and "peephole" in proc.stderr


# -- --sequence: stateful models over time --------------------------------------------------------
LSTM = "tflm/mnist_lstm_int8.tflite"


def test_sequence_outputs_match_tflm_over_one_state(tmp_path):
    """12 steps on one state from a reset: each step's output is TFLM's for the same step."""
    model = shared_model(LSTM)
    graph = load_model(model)
    t = graph.tensors[graph.inputs[0]]
    seq = np.random.default_rng(5).integers(-128, 128, (12, *t.shape)).astype(np.int8)
    np.save(tmp_path / "seq.npy", seq)
    out = tmp_path / "y.npy"
    assert main(["simulate", str(model), "--sequence", str(tmp_path / "seq.npy"), "--output",
                 str(out)]) == 0
    ours = np.load(out)
    tflm = Tflm(model, preserve_all=False)
    expected = np.stack([tflm.run([step])[0] for step in seq])
    assert ours.shape == (12, *graph.tensors[graph.outputs[0]].shape)
    np.testing.assert_array_equal(ours, expected)
    # a second command starts from a reset again: the same outputs
    assert main(["simulate", str(model), "--sequence", str(tmp_path / "seq.npy"), "--output",
                 str(tmp_path / "again.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "again.npy"), ours)


@pytest.mark.parametrize("shape, expected", [
    ((12, 28, 27), "expected [steps, 1, 28, 28]"),
    ((0, 1, 28, 28), "has shape [0, 1, 28, 28]"),
    ((), "has shape []"),
])
def test_bad_sequence_shape_is_one_line(tmp_path, capsys, shape, expected):
    np.save(tmp_path / "s.npy", np.zeros(shape, np.int8))
    assert main(["simulate", str(shared_model(LSTM)), "--sequence",
                 str(tmp_path / "s.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcugen: error: ") and expected in err and "\n" not in err


def test_sequence_dtype_and_input_exclusive(tmp_path, capsys):
    np.save(tmp_path / "s.npy", np.zeros((3, 1, 28, 28), np.float32))
    assert main(["simulate", str(shared_model(LSTM)), "--sequence", str(tmp_path / "s.npy")]) == 2
    assert "is float32, the input is int8" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:      # argparse's usage error
        main(["simulate", str(shared_model(LSTM)), "--sequence", str(tmp_path / "s.npy"),
              "--input", str(tmp_path / "s.npy")])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
