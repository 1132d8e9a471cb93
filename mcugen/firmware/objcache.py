"""A compiled-object cache shared by every build on the machine.

Why: a model links a few dozen functions of a kernel library, and the same model built twice
(a second output folder, ``run`` after ``build``, the tests) compiled the same C again each time.
Objects live under :func:`cache_root` ``/objects`` and are keyed by everything that decides their
bytes:

- the compiler: its resolved path and ``-dumpfullversion -dumpmachine`` (a new toolchain, new keys);
- the flags, core included (``-mcpu``, ``-mfpu``, ``-mfloat-abi``, optimisation, defines), without
  the ``-I`` paths — those enter through the next point;
- the source's bytes and the bytes of every header it can include by ``#include "..."`` (or
  ``<...>`` found in the include directories), followed recursively and ignoring ``#if`` (so a
  header that might be included counts). A kernel library's version is thus in the key through its
  files: CMSIS-NN v7.0.0 and a later tree never share an object, and two output folders of the
  same model share all of theirs. System headers (newlib) come with the compiler's version.

An object is written to a temporary name and renamed, so concurrent builds never see half a file.
``MCUGEN_CACHE_DIR`` moves the cache (tests and the build-time benchmark point it at an empty
folder); deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from ..errors import InfrastructureError

ENV_VAR = "MCUGEN_CACHE_DIR"
_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*([<"])([^">]+)[">]', re.M)


def cache_root() -> Path:
    """``$MCUGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/mcugen`` (``~/.cache/mcugen``): the folder
    that also holds the default CMSIS-NN tree (``cmsis-nn/``)."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mcugen"


def objects_dir() -> Path:
    return cache_root() / "objects"


@lru_cache(maxsize=None)
def compiler_id(cc: str) -> str:
    """The compiler's resolved path, version and target triple."""
    try:
        proc = subprocess.run([cc, "-dumpfullversion", "-dumpmachine"], capture_output=True,
                              text=True, timeout=60)
    except OSError as exc:
        raise InfrastructureError(f"cannot run the C compiler: {exc}", cc) from None
    return f"{os.path.realpath(cc)} {' '.join(proc.stdout.split())}"


_file_hashes: dict[tuple[str, int, int], bytes] = {}


def _file_hash(path: Path) -> bytes:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    digest = _file_hashes.get(key)
    if digest is None:
        digest = hashlib.sha256(path.read_bytes()).digest()
        _file_hashes[key] = digest
    return digest


_includes: dict[tuple[str, int, int], list[tuple[str, str]]] = {}


def _included_names(path: Path) -> list[tuple[str, str]]:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    names = _includes.get(key)
    if names is None:
        names = [(m[0].decode(), m[1].decode()) for m in _INCLUDE.findall(path.read_bytes())]
        _includes[key] = names
    return names


def dependencies(source: Path, include_dirs) -> list[Path]:
    """The source and every header of ``include_dirs`` it can reach, in a stable order."""
    dirs = [Path(d) for d in include_dirs]
    seen: dict[Path, None] = {}
    todo = [Path(source)]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = None
        for kind, name in _included_names(path):
            where = ([path.parent] if kind == '"' else []) + dirs
            for d in where:
                candidate = d / name
                if candidate.is_file():
                    todo.append(candidate)
                    break
    return list(seen)


def object_key(cc: str, flags, source: Path, include_dirs) -> str:
    h = hashlib.sha256(compiler_id(cc).encode())
    h.update("\0".join(flags).encode())
    for dep in dependencies(source, include_dirs):
        h.update(dep.name.encode() + b"\0" + _file_hash(dep))
    return h.hexdigest()[:20]


def cached_object(cc: str, flags, source: Path, include_dirs, *, where: str = "") -> Path:
    """The object of ``source`` compiled with ``flags`` and ``-I include_dirs``: from the cache,
    or compiled into it now. ``where`` names the build in a compile error."""
    source = Path(source)
    flags = list(flags)
    key = object_key(cc, flags, source, include_dirs)
    tag = next((f.split("=", 1)[1] for f in flags if f.startswith("-mcpu=")), "host")
    obj = objects_dir() / tag / f"{source.stem}-{key}.o"
    if obj.is_file():
        return obj
    obj.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{source.stem}-", suffix=".o", dir=obj.parent)
    os.close(fd)
    try:
        proc = subprocess.run([cc, *flags, *(f"-I{d}" for d in include_dirs), "-c",
                               str(source), "-o", tmp], capture_output=True, text=True,
                              timeout=600)
        if proc.returncode != 0:
            first = next((line.strip() for line in proc.stderr.splitlines() if "error" in line),
                         proc.stderr.strip()[:300])
            raise InfrastructureError(f"compile failed{' for ' + where if where else ''}: "
                                      f"{first}", str(source))
        os.replace(tmp, obj)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return obj
