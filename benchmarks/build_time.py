"""CPU time of `mcugen build` with an empty object cache (cold) and with a warm one (a second
build of the same model into a new output folder), as issue 18 asks: vww for mps2-an386 with
CMSIS-NN; targets <= 3 s cold and <= 1.5 s warm.

    MCUGEN_CMSIS_NN=/path/to/CMSIS-NN python benchmarks/build_time.py [--model M] [--board B]
        [--kernels K] [--repeat N]

CPU time is user + system of the `mcugen build` process and every compiler it runs
(getrusage of the waited children), so it does not depend on how many cores there are; the
wall time is printed beside it. Each repeat uses a fresh cache folder (MCUGEN_CACHE_DIR), so
"cold" also compiles the Jinja templates. It also checks that the generated Makefile has
nothing to rebuild after the build (`make -q`).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO.parent / "shared" / "models" / "mlperf_tiny" / "vww_96_int8.tflite"


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(CPU seconds of the command and its children, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"build failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--kernels", default="cmsis-nn")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if args.kernels == "cmsis-nn" and not os.environ.get("MCUGEN_CMSIS_NN"):
        sys.exit("set MCUGEN_CMSIS_NN to a CMSIS-NN tree (e.g. /work/cmsis-nn-4ab83cc3)")
    cc = shutil.which("arm-none-eabi-gcc")
    version = subprocess.run([cc, "-dumpfullversion"], capture_output=True, text=True).stdout
    print(f"model {Path(args.model).name}, board {args.board}, kernels {args.kernels}, "
          f"arm-none-eabi-gcc {version.strip()}, CMSIS-NN {os.environ.get('MCUGEN_CMSIS_NN')}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    cold, warm = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="mcugen-build-time-") as tmp:
            env = dict(os.environ, MCUGEN_CACHE_DIR=str(Path(tmp) / "cache"),
                       PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            base = [sys.executable, "-m", "mcugen", "build", args.model, "--board", args.board,
                    "--kernels", args.kernels]
            cold.append(timed([*base, "-o", str(Path(tmp) / "cold")], env))
            warm.append(timed([*base, "-o", str(Path(tmp) / "warm")], env))
            objects = list((Path(tmp) / "cache" / "objects").rglob("*.o"))
            make = subprocess.run(["make", "-q", "-C", str(Path(tmp) / "warm")],
                                  capture_output=True)
    for label, runs, target in (("cold (empty cache)", cold, 3.0),
                                ("warm (new output folder)", warm, 1.5)):
        cpus = [c for c, _ in runs]
        print(f"{label}: CPU {min(cpus):.2f} s min, {statistics.median(cpus):.2f} s median "
              f"(wall {statistics.median([w for _, w in runs]):.2f} s; target <= {target} s)")
    print(f"objects in the cache after one model: {len(objects)}; "
          f"make after the build: {'nothing to do' if make.returncode == 0 else 'would rebuild'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
