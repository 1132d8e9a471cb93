"""Issue 18, point 3: output that survives pipes and narrow terminals. Piped stdout is never
wrapped (whole board names, one-line summaries) even when stderr is an 40-column terminal or
COLUMNS says 80; a reader closing the pipe early is not an error; --json prints JSON to stdout;
progress is drawn only on a terminal; a failed verdict stands out."""

from __future__ import annotations

import fcntl
import json
import os
import struct
import subprocess
import sys
import termios

import pytest

from mcugen.cli import main
from mcugen.device.verify import Mismatch, VerifyResult
from tests.oracle import shared_model

pytestmark = pytest.mark.timeout(120)
KWS = "mlperf_tiny/kws_ref_model.tflite"


def _piped_with_narrow_terminal_stderr(*args: str) -> tuple[int, str]:
    """Run mcugen with stdout a pipe and stderr a 40-column pseudo-terminal, COLUMNS=80."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
    try:
        proc = subprocess.run([sys.executable, "-m", "mcugen", *args], stdout=subprocess.PIPE,
                              stderr=slave, text=True, timeout=100,
                              env={**os.environ, "COLUMNS": "80"})
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, proc.stdout


def test_piped_output_keeps_whole_names_and_lines():
    code, out = _piped_with_narrow_terminal_stderr("boards")
    assert code == 0
    for name in ("mps2-an386", "netduinoplus2", "nucleo_h743zi2", "hardware (PlatformIO)"):
        assert name in out, out
    code, out = _piped_with_narrow_terminal_stderr("plan", str(shared_model(KWS)), "--kernels",
                                                   "portable")
    assert code == 0
    assert ("arena: 16,000 bytes; lower bound 16,000 bytes (peak at op 1 DEPTHWISE_CONV_2D); "
            "alignment 4\n") in out
    assert "functional_1/activation/Relu;functional_1/batch_normalization" in out


@pytest.mark.parametrize("args", [["boards", "--json"], ["boards"],
                                  ["inspect", "MODEL", "--json"]])
def test_reader_closing_the_pipe_is_not_an_error(args):
    args = [str(shared_model(KWS)) if a == "MODEL" else a for a in args]
    proc = subprocess.Popen([sys.executable, "-m", "mcugen", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()                       # as `| head -1` does once it has its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == ""


@pytest.mark.parametrize("command", ["boards", "inspect", "plan"])
def test_json_to_stdout(command, capsys):
    args = [command, "--json"] + ([] if command == "boards" else [str(shared_model(KWS))])
    assert main(args) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data and captured.err == ""          # nothing else on stdout, no progress on stderr


def test_simulate_and_profile_json_on_stdout(tmp_path, capsys):
    import numpy as np
    from tests.oracle import shared_input
    np.save(tmp_path / "x.npy", shared_input("kws_sample_int8.npy"))
    assert main(["simulate", str(shared_model(KWS)), "--input", str(tmp_path / "x.npy"),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"][0]["values"][5] == 127
    from tests.device.conftest import need_tools
    need_tools("gcc")
    assert main(["profile", str(shared_model("tflm/hello_world_int8.tflite")), "--board",
                 "host", "--kernels", "portable", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["operator"] for r in data["layers"]] == ["FULLY_CONNECTED"] * 3


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    """quantize --method mse (a calibration bar, then the range search) writes nothing to a
    captured stderr: errors stay one line in CI logs."""
    d = shared_model("real_data/digits_dscnn")
    proc = subprocess.run([sys.executable, "-m", "mcugen", "quantize", str(d / "float.tflite"),
                           "--calib", str(d / "calib.npy"), "--samples", "20", "--method", "mse",
                           "-o", str(tmp_path / "q.tflite")], capture_output=True, text=True,
                          timeout=100)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_bit_exact_no_stands_out():
    from mcugen.cli._output import ALARM
    from mcugen.cli.verify import verdict_cell
    bad = VerifyResult(n_inputs=3, mismatches=[Mismatch(1, 0, 4)])
    cell = verdict_cell(bad)
    assert cell.plain == "NO (1 mismatching outputs)" and str(cell.style) == ALARM
    assert "red" in ALARM and verdict_cell(VerifyResult(n_inputs=3)).plain == "yes"
