"""The host check: compile generated model sources with the machine's C compiler and run them,
so bit-exactness is checked without an emulator."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..errors import InfrastructureError
from ..resources import templates_dir
from .flags import host_check_recipe


def host_compiler() -> str:
    for cc in ("cc", "gcc", "clang"):
        path = shutil.which(cc)
        if path:
            return path
    raise InfrastructureError("no host C compiler found (install gcc: apt-get install gcc)")


def compile_host(rendered, exe: Path, sanitize: bool = False, opt: str = "-O2",
                 cache_kernels: bool = False) -> Path:
    """Build ``rendered`` (a RenderedModel) with templates/host/host_check.c into ``exe``.

    mcugen's own sources build with -Wall -Wextra -Werror; a third-party kernel library
    (CMSIS-NN) is compiled separately without -Werror, since its warnings are not ours to fix.
    A third-party library's objects always come from the object cache shared by every build
    (objcache.py); ``cache_kernels`` takes mcugen's own model-independent sources (its kernel
    files) from there too, so that many builds (the tests) compile each once.
    """
    exe = Path(exe)
    includes = [f"-I{d}" for d in rendered.include_dirs]
    recipe = host_check_recipe(opt, sanitize, rendered.defines)
    objects = []
    if rendered.library_sources:   # from the object cache shared by every build (objcache.py)
        from .objcache import cached_object
        dirs = getattr(rendered, "library_include_dirs", None) or rendered.include_dirs
        for src in rendered.library_sources:
            objects.append(str(cached_object(host_compiler(), [*recipe.compile, *recipe.library],
                                             Path(src), dirs, where="the host")))
    sources = [str(p) for p in rendered.sources]
    if cache_kernels:
        from .objcache import cached_object
        model_own = [p for p in rendered.sources if p.name.startswith(f"{rendered.name}_")]
        for src in [p for p in rendered.sources if p not in model_own]:
            objects.append(str(cached_object(host_compiler(), [*recipe.compile, *recipe.own],
                                             Path(src), rendered.include_dirs, where="the host")))
        sources = [str(p) for p in model_own]
    sources.append(str(templates_dir() / "host" / "host_check.c"))
    serve = f"-DMCUGEN_MODEL={rendered.name}_model"     # host_check.c runs this model's descriptor
    _run([host_compiler(), *recipe.compile, *recipe.own, serve, *includes, *sources, *objects,
          *recipe.link, "-o", str(exe)], rendered.out_dir)
    return exe


def _run(cmd: list[str], where) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        first = next((line for line in proc.stderr.splitlines() if "error" in line),
                     proc.stderr.strip()[:300])
        raise InfrastructureError(f"host compile failed: {first}", str(where))


def run_host(exe: Path, inputs: list[list[np.ndarray]], output_sizes: list[int],
             output_dtypes: list[np.dtype], sequence: bool = False) -> list[list[np.ndarray]]:
    """Run N inferences (each a list of input arrays) in one process; returns N output lists.
    Each runs after a reset of the model's state, or (``sequence``) all in order on one state."""
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        fin.write_bytes(b"".join(np.ascontiguousarray(x).tobytes()
                                 for sample in inputs for x in sample))
        proc = subprocess.run([str(exe), str(fin), str(fout)] + (["--sequence"] if sequence else []),
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise InfrastructureError(f"host program failed (exit {proc.returncode}): "
                                      f"{proc.stderr.strip()[:300]}", str(exe))
        raw = fout.read_bytes()
    per_sample = sum(n * np.dtype(d).itemsize for n, d in zip(output_sizes, output_dtypes))
    results = []
    for k in range(len(inputs)):
        chunk, offset, outs = raw[k * per_sample:(k + 1) * per_sample], 0, []
        for n, d in zip(output_sizes, output_dtypes):
            size = n * np.dtype(d).itemsize
            outs.append(np.frombuffer(chunk[offset:offset + size], dtype=d).copy())
            offset += size
        results.append(outs)
    return results
