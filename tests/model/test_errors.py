"""The CLI's error contract on bad models: one line on stderr, no traceback, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mcugen.model import load_model, serialize_model
from mcugen.model.schema import fb
from tests.conftest import EXAMPLES

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


def _two_subgraph_model(tmp_path: Path) -> Path:
    data = (EXAMPLES / "hello_world_int8.tflite").read_bytes()
    model = fb.ModelT.InitFromPackedBuf(bytearray(data), 0)
    model.subgraphs.append(model.subgraphs[0])
    import flatbuffers
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    path = tmp_path / "two.tflite"
    path.write_bytes(bytes(b.Output()))
    return path


def _cases(tmp_path: Path) -> dict[str, Path]:
    good = (EXAMPLES / "kws_ref_model.tflite").read_bytes()
    files = {"empty.tflite": b"", "truncated.tflite": good[: len(good) // 3],
             "random.tflite": bytes(range(256)) * 40, "image.tflite": PNG}
    cases = {"missing": tmp_path / "does_not_exist.tflite", "directory": tmp_path}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        cases[name] = tmp_path / name
    cases["two_subgraphs"] = _two_subgraph_model(tmp_path)
    return cases


@pytest.mark.parametrize("case", ["missing", "directory", "empty.tflite", "truncated.tflite",
                                  "random.tflite", "image.tflite", "two_subgraphs"])
def test_bad_model_gives_one_line_and_exit_2(tmp_path, case):
    path = _cases(tmp_path)[case]
    proc = subprocess.run([sys.executable, "-m", "mcugen", "inspect", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcugen: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(path) in lines[0]


def test_debug_shows_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mcugen", "inspect", "--debug",
                           str(tmp_path / "nope.tflite")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" in proc.stderr


def test_usage_error_exit_2():
    proc = subprocess.run([sys.executable, "-m", "mcugen", "no-such-command"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("mcugen: error:")


def test_truncation_at_every_tenth_is_caught():
    """Any prefix of a model is refused cleanly, never an uncaught exception."""
    from mcugen.errors import InputError
    from mcugen.model import parse_model
    good = serialize_model(load_model(EXAMPLES / "hello_world_int8.tflite"))
    for cut in range(0, len(good), max(1, len(good) // 10)):
        with pytest.raises(InputError):
            parse_model(good[:cut])
