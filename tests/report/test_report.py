"""Issue 18, point 2: ``--report DIR`` writes one self-contained HTML page and CSV files; the plan
picture (also ``plan --svg``) labels every buffer, names the operators along the time axis, has a
legend and marks the peak and the lower bound; the page renders in a real browser (headless
Debian Chromium) with no console message, showing the picture and the tables."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mcugen.cli import main
from mcugen.model import load_model
from mcugen.plan import plan_memory
from mcugen.plan.svg import plan_svg, short_name
from tests.device.conftest import need_tools
from tests.oracle import shared_model

pytestmark = pytest.mark.timeout(300)
CHROMIUM = "/usr/bin/chromium"
KWS = "mlperf_tiny/kws_ref_model.tflite"
DIGITS = "real_data/digits_dscnn"


def _external_references(html: str) -> list[str]:
    """Anything that would make the browser fetch: src/href to a URL, CSS url()/@import,
    <link>, <iframe>, <object>."""
    found = re.findall(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:|//)[^"\'> ]*', html, re.I)
    found += re.findall(r"url\(|@import|<link\b|<iframe\b|<object\b|<embed\b", html, re.I)
    return found


def test_plan_svg_labels_every_buffer_and_operator():
    graph = load_model(shared_model(KWS))
    plan = plan_memory(graph, "portable")
    svg = plan_svg(graph, plan)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for i, b in enumerate(plan.buffers):                       # every buffer: key + hover
        assert f">b{i} {short_name(b.name)}"[:30] in svg or f">b{i} " in svg
        assert f"{b.size:,} B" in svg
        assert re.search(rf"<title>b{i} {re.escape(b.name[:40])}", svg.replace("&amp;", "&"))
    for op_index in plan.order:                                # operator names on the axis
        assert f">{op_index} {graph.operators[op_index].opcode}</text>" in svg
    assert "lower bound" in svg and ">peak<" in svg and "model input" in svg  # marks, legend
    assert "intermediate tensor" in svg and "model output" in svg


def test_plan_report_files_and_same_picture(tmp_path, capsys):
    svg, out = tmp_path / "p.svg", tmp_path / "rep"
    assert main(["plan", str(shared_model(KWS)), "--kernels", "portable", "--svg", str(svg),
                 "--report", str(out)]) == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    html = (out / "report.html").read_text()
    picture = svg.read_text().replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)
    assert picture.strip() in html                          # the same picture as plan --svg
    assert _external_references(html) == []
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for name in ("summary.csv", "memory.csv", "buffers.csv", "layers.csv"):
        assert (out / name).exists()
    layers = list(csv.DictReader(open(out / "layers.csv")))
    assert [r["operator"] for r in layers][:2] == ["CONV_2D", "DEPTHWISE_CONV_2D"]
    assert sum(int(r["macs"]) for r in layers) == 2_656_768
    buffers = list(csv.DictReader(open(out / "buffers.csv")))
    assert max(int(b["offset"]) + int(b["size"]) for b in buffers) == 16_000
    again = tmp_path / "again"                     # no timestamp: the same inputs, the same bytes
    assert main(["plan", str(shared_model(KWS)), "--kernels", "portable", "--report",
                 str(again)]) == 0
    assert (again / "report.html").read_bytes() == (out / "report.html").read_bytes()


def _chromium(args: list[str], tmp: Path, timeout: int = 90) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run", "--disable-extensions",
                           f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr",
                           "--v=0", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HOME": str(tmp)})


def test_verify_report_renders_in_chromium(tmp_path):
    """A verify on real data (host board) writes the report; headless Chromium loads it with
    no console message (errors, CSP refusals), runs its script and shows the picture and the
    tables; a screenshot is taken (kept in MCUGEN_REPORT_SCREENSHOT when that is set)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium "
                    "(scripts/bootstrap.sh --test installs it) to render the report")
    need_tools("gcc")
    d = shared_model(DIGITS)
    out = tmp_path / "rep"
    proc = subprocess.run(
        [sys.executable, "-m", "mcugen", "verify", str(d / "tf_int8.tflite"), "--board", "host",
         "--kernels", "portable", "--inputs", str(d / "test.npz"), "--samples", "40",
         "--labels", str(d / "test.npz"), "--float-model", str(d / "float.tflite"),
         "--report", str(out)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    html_path = out / "report.html"
    html = html_path.read_text()
    assert _external_references(html) == []
    for name in ("inputs.csv", "accuracy.csv", "layers.csv", "buffers.csv", "memory.csv"):
        assert (out / name).exists(), name
    assert len(list(csv.DictReader(open(out / "inputs.csv")))) == 40

    dom = _chromium(["--dump-dom", html_path.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console                       # no error, no CSP refusal, no log
    page = dom.stdout
    assert 'data-ready="1"' in page                     # the page's script ran to its end
    assert 'class="verdict ok"' in page and "bit-exact: yes" in page
    assert page.count('class="buf"') == len(list(csv.DictReader(open(out / "buffers.csv"))))
    for table in ("buffers", "accuracy", "inputs"):
        assert f'class="sortable {table}"' in page
    assert page.count("<tr") > 40 + 9                   # per-input rows and layer rows
    assert "lower bound" in page and "DEPTHWISE_CONV_2D" in page

    shot = Path(os.environ.get("MCUGEN_REPORT_SCREENSHOT") or tmp_path / "report.png")
    png = _chromium([f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars",
                     html_path.as_uri()], tmp_path)
    assert png.returncode == 0, png.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_build_report_breaks_flash_and_ram_down(tmp_path):
    need_tools("arm-none-eabi-gcc")
    out = tmp_path / "rep"
    assert main(["build", str(shared_model("tflm/hello_world_int8.tflite")), "--kernels",
                 "portable", "-o", str(tmp_path / "b"), "--report", str(out)]) == 0
    rows = {(r["memory"], r["part"]): r for r in csv.DictReader(open(out / "memory.csv"))}
    assert {("flash", "code"), ("flash", "weights and constants"),
            ("RAM", "arena: tensors and scratch"), ("RAM", "stack reserve")} <= set(rows)
    assert rows[("flash", "code")]["capacity"] == str(4 * 1024 * 1024)
    html = (out / "report.html").read_text()
    assert "board capacity" in html and _external_references(html) == []


def test_report_path_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    assert main(["plan", str(shared_model(KWS)), "--report", str(tmp_path / "f")]) == 2
    assert "report directory" in capsys.readouterr().err


@pytest.mark.qemu
@pytest.mark.timeout(180)
def test_profile_report_has_per_layer_instructions(tmp_path, capsys):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    out = tmp_path / "rep"
    assert main(["profile", str(shared_model("tflm/hello_world_int8.tflite")), "--board",
                 "mps2-an386", "--kernels", "portable", "--report", str(out)]) == 0
    layers = list(csv.DictReader(open(out / "layers.csv")))
    assert [r["operator"] for r in layers] == ["FULLY_CONNECTED"] * 3
    assert all(int(r["instructions"]) > 0 for r in layers)
    html = (out / "report.html").read_text()
    assert "instructions per layer" in html and "instructions/MAC" in html
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out


def test_failed_verdict_stands_out_in_the_page():
    from mcugen.report.page import Page
    page = Page("x")
    page.verdict({"bit_exact": False, "n_inputs": 5, "board": "host",
                  "mismatches": [{"input_index": 2, "first_layer": "op 1 CONV_2D (tensor 3)"}]})
    html = page.render()
    assert 'class="verdict bad"' in html
    assert "bit-exact: NO — 1 of 5 inputs differ" in html and "op 1 CONV_2D" in html
