"""A generated model as a library: for PlatformIO (``library.json``) or plain C (CMake).

Both flavours have one layout, so a user can move between build systems without surprises::

    <dir>/include/   <name>_model.h, mcugen_model_api.h, the kernel headers
    <dir>/src/       <name>_model.c, <name>_weights.c, ..., kernels/ (the portable kernels)
    <dir>/examples/<name>_example/main.c   one inference, the call a user copies
    <dir>/library.json | CMakeLists.txt

The model code comes from the code generator (:func:`mcugen.codegen.render_model`); this module
only arranges its files. CMSIS-NN is never copied: a PlatformIO project gets a small wrapper
library pointing at the user's CMSIS-NN tree, a CMake build a ``CMSIS_NN_DIR`` cache variable.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..firmware.flags import C_STANDARD, define_flag
from ._render import render, write_if_changed

_C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t",
            "float32": "float"}
CMSIS_NN_LIBRARY = "CMSIS-NN"


@dataclass
class ModelLibrary:
    """What was written: the library folder and the facts a project or a build needs."""

    name: str
    path: Path
    sources: list[Path]             # relative to path
    headers: list[Path]             # relative to path
    defines: list[str]
    kernels: str
    kernels_version: str
    cmsis_nn_root: Path | None      # the user's CMSIS-NN tree, when the model calls CMSIS-NN
    cmsis_nn_sources: list[str] = field(default_factory=list)  # relative to its root
    example: Path | None = None


def _is_cmsis(rendered) -> bool:
    return str(getattr(rendered, "kernels", "portable")).lower().startswith("cmsis")


def _cmsis_root(rendered, cmsis_nn) -> Path | None:
    if not _is_cmsis(rendered):
        return None
    for candidate in (cmsis_nn, getattr(rendered, "cmsis_nn_root", None)):
        if candidate:
            return Path(getattr(candidate, "root", candidate)).resolve()
    # Derive it from the sources the generator listed: .../<root>/Source/<Group>/<file>.c
    for src in getattr(rendered, "library_sources", []):
        parts = Path(src).resolve().parts
        if "Source" in parts:
            return Path(*parts[:len(parts) - 1 - parts[::-1].index("Source")])
    raise InputError("the model uses CMSIS-NN but its location is unknown; pass --cmsis-nn DIR",
                     "CMSIS-NN")


def _inside(path: Path, root: Path | None) -> bool:
    if root is None:
        return False
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def io_declarations(rendered) -> tuple[list[dict], list[dict]]:
    """Input and output buffers of the example: C type and element count per model I/O."""
    def decl(items, prefix):
        out = []
        for i, (nbytes, dtype) in enumerate(items):
            ctype = _C_TYPES.get(str(dtype))
            if ctype is None:
                raise InputError(f"unsupported I/O dtype {dtype}", f"{prefix} {i}")
            size = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "float": 4}[ctype]
            out.append({"name": f"{prefix}{i}" if len(items) > 1 else prefix, "ctype": ctype,
                        "count": int(nbytes) // size, "is_float": ctype == "float"})
        return out
    return decl(rendered.inputs, "input"), decl(rendered.outputs, "output")


def export_library(rendered, out_dir, *, flavour: str = "platformio", cmsis_nn=None,
                   clean: bool = True) -> ModelLibrary:
    """Arrange a rendered model as a library in ``out_dir``; ``flavour``: platformio | cmake."""
    if flavour not in ("platformio", "cmake"):
        raise ValueError(flavour)
    out = Path(out_dir).resolve()
    name = rendered.name
    cmsis_root = _cmsis_root(rendered, cmsis_nn)
    if clean and out.exists():
        if not out.is_dir():
            raise InputError("exists and is not a directory", str(out))
        for sub in ("include", "src", "examples"):
            shutil.rmtree(out / sub, ignore_errors=True)
    model_dir = Path(getattr(rendered, "out_dir", "") or ".").resolve()

    sources: list[Path] = []
    headers: list[Path] = []

    def place(src: Path, rel: Path, bucket: list[Path]):
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.resolve() != dest:
            shutil.copyfile(src, dest)
        if rel not in bucket:
            bucket.append(rel)

    for src in map(Path, rendered.sources):
        place(src, Path("src") / src.name, sources)
    for hdr in map(Path, rendered.headers):
        place(hdr, Path("include") / hdr.name, headers)
    cmsis_sources: list[str] = []
    for src in map(Path, getattr(rendered, "library_sources", [])):
        if _inside(src, cmsis_root):
            cmsis_sources.append(src.resolve().relative_to(cmsis_root).as_posix())
        else:  # mcugen's portable kernels: part of the library
            place(src, Path("src") / "kernels" / src.name, sources)
    # Headers the library's own sources include (portable kernel headers, the ABI header).
    for inc in map(Path, getattr(rendered, "include_dirs", [])):
        if inc.resolve() == model_dir or _inside(inc, cmsis_root) or not inc.is_dir():
            continue
        for hdr in sorted(inc.glob("*.h")):
            place(hdr, Path("include") / hdr.name, headers)
    if model_dir.is_dir():
        for hdr in sorted(model_dir.glob("*.h")):
            place(hdr, Path("include") / hdr.name, headers)
    if not any(h.name == "mcugen_model_api.h" for h in headers):
        from ..resources import templates_dir
        place(templates_dir() / "runtime" / "mcugen_model_api.h",
              Path("include") / "mcugen_model_api.h", headers)

    inputs, outputs = io_declarations(rendered)
    example = Path("examples") / f"{name}_example" / "main.c"
    write_if_changed(out / example, render(
        "example/main.c.j2", name=name, inputs=inputs, outputs=outputs,
        mcugen_version=__version__, kernels=rendered.kernels))

    lib = ModelLibrary(name=name, path=out, sources=sources, headers=headers,
                       defines=list(getattr(rendered, "defines", [])), kernels=rendered.kernels,
                       kernels_version=str(getattr(rendered, "kernels_version", "")),
                       cmsis_nn_root=cmsis_root, cmsis_nn_sources=sorted(cmsis_sources),
                       example=example)
    values = dict(lib=lib, mcugen_version=__version__, cmsis_nn_library=CMSIS_NN_LIBRARY,
                  defines=[define_flag(d) for d in lib.defines], c_standard=C_STANDARD,
                  sources=[s.as_posix() for s in sources])
    if flavour == "platformio":
        text = render("library.json.j2", **values)
        json.loads(text)  # a broken manifest would only show up later as a PlatformIO error
        write_if_changed(out / "library.json", text)
    else:
        write_if_changed(out / "CMakeLists.txt", render("CMakeLists.txt.j2", **values))
    return lib


def semver(text: str) -> str:
    """The first X.Y.Z in a version description: PlatformIO rejects anything else."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return f"{match[1]}.{match[2]}.{match[3] or 0}" if match else "0.0.0"


def write_cmsis_nn_wrapper(lib: ModelLibrary, lib_root) -> Path | None:
    """``lib/CMSIS-NN/library.json``: CMSIS-NN has no PlatformIO manifest, so the project gets one
    that points at the user's tree and compiles exactly the sources the model calls."""
    if lib.cmsis_nn_root is None:
        return None
    path = Path(lib_root) / CMSIS_NN_LIBRARY / "library.json"
    if lib.cmsis_nn_sources:  # only what the model calls: paths relative to <root>/Source
        src_filter = ["-<*>"] + [f"+<{s.removeprefix('Source/')}>" for s in lib.cmsis_nn_sources]
    else:  # the integer kernels; the float ones need headers the model does not ship
        src_filter = ["+<*>", "-<**/*_f16.c>", "-<**/*_f32.c>", "-<**/*flt*.c>"]
    text = render("cmsis_nn_library.json.j2", lib=lib, root=lib.cmsis_nn_root.as_posix(),
                  cmsis_nn_library=CMSIS_NN_LIBRARY, src_filter=src_filter,
                  version=semver(lib.kernels_version))
    json.loads(text)
    return write_if_changed(path, text)
