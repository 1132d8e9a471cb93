"""One model on two emulated labgrid places: in parallel (``--places emu-a,emu-b``: one build,
both boards at once) vs one after the other (``--places emu-a``, then ``--places emu-b``: what two
separate runs cost). A whole farm on loopback (tests/farm/local_farm.py: coordinator, mcugen's
flash agent with two QEMU mps2-an386 places, exporter). Wall time of each command, and the
boards' own time (flash, boot, inputs, compare) from the JSON's per-board ``seconds``.

    python benchmarks/farm_parallel.py [MODEL] [--inputs N] [--kernels K] [--repeat R]

Needs the farm extra (pip install -e '.[farm]'), QEMU and the Arm toolchain. The figures depend
on the machine's free cores: two QEMUs need two.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.farm.local_farm import LocalFarm  # noqa: E402 - after the sys.path line


def verify(lab: LocalFarm, model: str, places: str, args, out: Path) -> tuple[float, list]:
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "mcugen", "verify", model, "--places", places,
                        "--coordinator", lab.address, "--inputs", str(args.inputs),
                        "--kernels", args.kernels, "--json", str(out)], env=lab.env,
                       capture_output=True, text=True, timeout=900)
    wall = time.monotonic() - start
    if r.returncode != 0:
        raise SystemExit(f"verify failed ({r.returncode}): {r.stderr.strip()}")
    boards = json.loads(out.read_text())["boards"]
    assert all(b["bit_exact"] for b in boards)
    return wall, boards


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default=str(REPO / "examples" / "kws_ref_model.tflite"))
    ap.add_argument("--inputs", type=int, default=10)
    ap.add_argument("--kernels", default="portable")
    ap.add_argument("--repeat", type=int, default=2, help="best of R runs of each")
    args = ap.parse_args()
    best = {"parallel": (1e9, 1e9), "one after the other": (1e9, 1e9)}
    with tempfile.TemporaryDirectory(prefix="mcugen-farm-bench-") as tmp, \
            LocalFarm(Path(tmp) / "farm", ["emu-a", "emu-b"]) as lab:
        out = Path(tmp) / "r.json"
        for _ in range(args.repeat):
            wall, boards = verify(lab, args.model, "emu-a,emu-b", args, out)
            board_time = max(b["seconds"] for b in boards)
            best["parallel"] = min(best["parallel"], (wall, board_time))
            walls, board_times = 0.0, 0.0
            for place in ("emu-a", "emu-b"):
                wall, boards = verify(lab, args.model, place, args, out)
                walls += wall
                board_times += boards[0]["seconds"]
            best["one after the other"] = min(best["one after the other"], (walls, board_times))
    table = Table(title=f"{Path(args.model).stem} on two emulated places (mps2-an386, "
                  f"{args.kernels}, {args.inputs} inputs each; best of {args.repeat})",
                  title_justify="left")
    for col in ("", "wall seconds (commands)", "board seconds"):
        table.add_column(col, justify="left" if not col else "right")
    for name, (wall, board) in best.items():
        table.add_row(name, f"{wall:.1f}", f"{board:.1f}")
    par, ser = best["parallel"], best["one after the other"]
    table.add_row("parallel / serial", f"{par[0] / ser[0]:.2f}", f"{par[1] / ser[1]:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
