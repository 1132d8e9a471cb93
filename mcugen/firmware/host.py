"""The host check: compile generated model sources with the machine's C compiler and run them,
so bit-exactness is checked without an emulator."""

from __future__ import annotations

import hashlib
import re
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
                 object_cache: Path | None = None) -> Path:
    """Build ``rendered`` (a RenderedModel) with templates/host/host_check.c into ``exe``.

    mcugen's own sources build with -Wall -Wextra -Werror; a third-party kernel library
    (CMSIS-NN) is compiled separately without -Werror, since its warnings are not ours to fix.
    ``object_cache``: a folder where the objects of sources that do not depend on the model (the
    kernel libraries) are kept by the hash of their text, the headers they include and the
    flags, so that many builds in one session (the tests) compile each once.
    """
    exe = Path(exe)
    includes = [f"-I{d}" for d in rendered.include_dirs]
    recipe = host_check_recipe(opt, sanitize,
                               [*rendered.defines, f"MCUGEN_MODEL={rendered.name}_model"])
    objects = []
    if rendered.library_sources:
        lib_dir = exe.parent / f"{exe.name}-lib"
        lib_dir.mkdir(parents=True, exist_ok=True)
        for src in rendered.library_sources:
            cmd = [host_compiler(), *recipe.compile, *recipe.library, *includes, "-c", str(src)]
            objects.append(str(_object(cmd, src, lib_dir, rendered, object_cache)))
    sources = [str(p) for p in rendered.sources]
    if object_cache is not None:
        model_own = [p for p in rendered.sources if p.name.startswith(f"{rendered.name}_")]
        for src in [p for p in rendered.sources if p not in model_own]:
            cmd = [host_compiler(), *recipe.compile, *recipe.own, *includes, "-c", str(src)]
            objects.append(str(_object(cmd, src, exe.parent, rendered, object_cache)))
        sources = [str(p) for p in model_own]
    sources.append(str(templates_dir() / "host" / "host_check.c"))
    _run([host_compiler(), *recipe.compile, *recipe.own, *includes, *sources, *objects,
          *recipe.link, "-o", str(exe)], rendered.out_dir)
    return exe


_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def _object(cmd: list[str], src: Path, out_dir: Path, rendered, cache: Path | None) -> Path:
    """Compile ``src`` (``cmd`` without ``-o``) to an object, from ``cache`` when it holds one
    for the same flags, text and included headers."""
    if cache is None:
        obj = out_dir / (src.stem + ".o")
        _run([*cmd, "-o", str(obj)], rendered.out_dir)
        return obj
    # the flags without the source and the include folders (per build; the headers found there
    # are hashed by content below)
    flags = [c for c in cmd if c != str(src) and not c.startswith("-I")]
    digest = hashlib.sha256("\0".join(flags).encode())
    pending, seen = [Path(src)], set()
    while pending:
        path = pending.pop()
        text = path.read_text(errors="replace")
        digest.update(path.name.encode() + b"\0" + text.encode())
        for name in _INCLUDE.findall(text):
            for d in [path.parent, *map(Path, rendered.include_dirs)]:
                if (d / name).is_file() and (d / name) not in seen:
                    seen.add(d / name)
                    pending.append(d / name)
                    break
    cache.mkdir(parents=True, exist_ok=True)
    obj = cache / f"{src.stem}-{digest.hexdigest()[:20]}.o"
    if not obj.exists():
        tmp = obj.with_suffix(f".{id(obj)}.tmp")
        _run([*cmd, "-o", str(tmp)], rendered.out_dir)
        tmp.replace(obj)
    return obj


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
