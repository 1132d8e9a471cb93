"""The user's data files (``quantize --calib``, ``simulate --input``, ``run/verify --input(s)``):
whatever cannot be read is refused with one line and exit 2, checked from the .npy header before
anything is allocated; ``-o`` into a missing directory or onto a directory likewise."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.cli.run import load_inputs as run_load_inputs
from mcugen.errors import InputError
from mcugen.model import load_model
from tests.conftest import EXAMPLES
from tests.oracle import shared_model

KWS = EXAMPLES / "kws_ref_model.tflite"
HELLO = EXAMPLES / "hello_world_int8.tflite"
HELLO_FLOAT = "tflm/hello_world_float.tflite"


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _huge_header() -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False,
                                               "shape": (10 ** 12,)})
    return buf.getvalue() + b"\0" * 64


def _npz(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _make(kind: str, tmp_path, array: np.ndarray) -> tuple:
    """(path, words of the one-line error) for one kind of unreadable file."""
    if kind == "empty .npy":
        p = tmp_path / "x.npy"
        p.write_bytes(b"")
        return p, "the file is empty"
    if kind == "truncated .npz":
        good = tmp_path / "good.npz"
        np.savez(good, x=array)
        p = tmp_path / "x.npz"
        p.write_bytes(good.read_bytes()[:-40])
        return p, "not a readable zip archive (BadZipFile"
    if kind == "10^12-element header":
        p = tmp_path / "x.npy"
        p.write_bytes(_huge_header())
        return p, "needs 4,000,000,000,000 bytes, more than the limit"
    if kind == "member not .npy":
        return _npz(tmp_path / "x.npz", {"input_1": b"hello"}), "is not a .npy array"
    if kind == "truncated .npy":
        p = tmp_path / "x.npy"
        p.write_bytes(_npy_bytes(array)[:-7])
        return p, "truncated: the header declares"
    if kind == "pickled objects":
        p = tmp_path / "x.npy"
        np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        return p, "Python objects (pickles are refused)"
    if kind == "complex":
        p = tmp_path / "x.npy"
        np.save(p, array.astype(np.complex64))
        return p, "is complex"
    raise AssertionError(kind)


KINDS = ["empty .npy", "truncated .npz", "10^12-element header", "member not .npy",
         "truncated .npy", "pickled objects", "complex"]


def _one_line(capsys, words, path) -> None:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcugen: error: "), err
    assert words in lines[0] and str(path) in lines[0], lines[0]
    assert "internal error" not in err


@pytest.mark.parametrize("kind", KINDS)
def test_simulate_input_refused(kind, tmp_path, capsys):
    path, words = _make(kind, tmp_path, np.zeros((1, 49, 10, 1), np.int8))
    assert main(["simulate", str(KWS), "--input", str(path)]) == 2
    _one_line(capsys, words, path)


@pytest.mark.parametrize("kind", KINDS)
def test_run_input_loader_refuses(kind, tmp_path):
    path, words = _make(kind, tmp_path, np.zeros((1, 49, 10, 1), np.int8))
    with pytest.raises(InputError) as info:
        run_load_inputs(str(path), load_model(KWS))
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_quantize_calibration_refused(kind, tmp_path, capsys):
    model = shared_model(HELLO_FLOAT)
    path, words = _make(kind, tmp_path, np.linspace(0, 6, 32, dtype=np.float32).reshape(32, 1))
    assert main(["quantize", str(model), "--calib", str(path), "-o",
                 str(tmp_path / "q.tflite")]) == 2
    _one_line(capsys, words, path)
    assert not (tmp_path / "q.tflite").exists()


def test_zip_bomb_refused_from_its_header(tmp_path, capsys, monkeypatch):
    """A member that inflates far beyond the limit is refused before it is decompressed."""
    monkeypatch.setenv("MCUGEN_MAX_TENSOR_BYTES", str(1 << 20))
    bomb = _npz(tmp_path / "bomb.npz", {"input_1.npy": _npy_bytes(np.zeros(1 << 22, np.int8))})
    assert bomb.stat().st_size < 100_000
    assert main(["simulate", str(KWS), "--input", str(bomb)]) == 2
    _one_line(capsys, "needs 4,194,304 bytes, more than the limit of 1,048,576", bomb)


def test_only_needed_members_read(tmp_path, capsys):
    """An unreadable member the model does not need does not matter."""
    x = np.zeros((1, 49, 10, 1), np.int8)
    path = _npz(tmp_path / "x.npz", {"input_1.npy": _npy_bytes(x),
                                      "junk.npy": _huge_header()})
    assert main(["simulate", str(KWS), "--input", str(path), "--json"]) == 0


def test_integer_calibration_for_float_model(tmp_path, capsys):
    model = shared_model(HELLO_FLOAT)
    data = tmp_path / "x.npy"
    np.save(data, np.arange(-16, 16, dtype=np.int8).reshape(32, 1))
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(model), "--calib", str(data), "-o", str(out)]) == 2
    _one_line(capsys, "calibration data for the float input", data)
    assert main(["quantize", str(model), "--calib", str(data), "-o", str(out),
                 "--calib-as-float", "--json"]) == 0
    assert out.exists()


def test_integer_calibration_message_names_the_flag(tmp_path, capsys):
    model = shared_model(HELLO_FLOAT)
    data = tmp_path / "x.npy"
    np.save(data, np.arange(32, dtype=np.uint8).reshape(32, 1))
    assert main(["quantize", str(model), "--calib", str(data), "-o",
                 str(tmp_path / "q.tflite")]) == 2
    assert "--calib-as-float" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["missing directory", "a directory"])
def test_output_path_refused(where, tmp_path, capsys):
    target = tmp_path / "nowhere" / "out.npy" if where == "missing directory" else tmp_path
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 49, 10, 1), np.int8))
    assert main(["simulate", str(KWS), "--input", str(x), "--output", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("does not exist" in err or "is a directory" in err), err
    model = shared_model(HELLO_FLOAT)
    q = target.with_suffix(".tflite") if where == "missing directory" else tmp_path
    assert main(["quantize", str(model), "--calib", "random", "-o", str(q)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("does not exist" in err or "is a directory" in err), err


@pytest.mark.parametrize("header", [b"{'descr': '|i1', 'fortran_order': False, 'shape': (1, 1)",
                                    b"{'descr': \x07\x00, (((", b"[1, 2, 3]"])
def test_garbled_npy_header_refused(header, tmp_path, capsys):
    """numpy parses the header with Python's tokenizer and ast: their errors (TokenError,
    SyntaxError, ...) are one line and exit 2 (found by benchmarks/fuzz_models.py --kind data)."""
    text = header + b" " * (63 - (len(header) + 10) % 64) + b"\n"
    path = tmp_path / "x.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + b"\x00")
    code = main(["simulate", str(HELLO), "--input", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a .npy array" in err, err
