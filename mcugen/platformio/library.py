"""A generated model as a library: for PlatformIO (``library.json``) or plain C (CMake).

Both flavours have one layout, so a user can move between build systems without surprises::

    <dir>/include/   <name>_model.h, mcugen_model_api.h, the kernel headers
    <dir>/src/       <name>_model.c, <name>_weights.c (the model)
    <dir>/src/kernels/  mcugen's kernel sources the model calls (none when CMSIS-NN runs it all)
    <dir>/examples/<name>_example/main.c   one inference, the call a user copies
    <dir>/library.json | CMakeLists.txt
    <dir>/mcugen_cmsis_nn.py   (PlatformIO, CMSIS-NN kernels) the library's build script

The model code comes from the code generator (:func:`mcugen.codegen.render_model`); this module
only arranges its files. CMSIS-NN is never copied: the PlatformIO library's build script
(``build.extraScript``) compiles the CMSIS-NN sources the model calls from the user's tree, so
the library builds wherever it is dropped (no other library to install, no registry); a CMake
build gets a ``CMSIS_NN_DIR`` cache variable and the same list of sources.
"""

from __future__ import annotations

import json
import os
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
CMSIS_NN_SCRIPT = "mcugen_cmsis_nn.py"
#: the manifest's license and repository: those of mcugen, whose runtime code the library holds
LICENSE = "Apache-2.0"
REPOSITORY = {"type": "git", "url": "https://github.com/mcugen/mcugen.git"}


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
    for candidate in (getattr(rendered, "cmsis_nn_root", None), cmsis_nn):
        if isinstance(candidate, (str, os.PathLike)) and str(candidate):
            return Path(candidate).resolve()
        if candidate is not None and hasattr(candidate, "root"):    # a CmsisNN
            return Path(candidate.root).resolve()
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

    for src in map(Path, rendered.sources):   # the model's files in src/, mcugen's kernels below
        sub = Path("src") if src.name.startswith(f"{name}_") else Path("src") / "kernels"
        place(src, sub / src.name, sources)
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
    values = dict(lib=lib, mcugen_version=__version__,
                  defines=[define_flag(d) for d in lib.defines], c_standard=C_STANDARD,
                  sources=[s.as_posix() for s in sources])
    if flavour == "platformio":
        write_if_changed(out / "library.json", library_manifest(lib, values["defines"]))
        script = out / CMSIS_NN_SCRIPT
        if lib.cmsis_nn_root is not None:
            write_if_changed(script, render("mcugen_cmsis_nn.py.j2", lib=lib,
                                            root=json.dumps(lib.cmsis_nn_root.as_posix()),
                                            sources=json.dumps(lib.cmsis_nn_sources, indent=4)))
        elif script.exists():
            script.unlink()
    else:
        write_if_changed(out / "CMakeLists.txt", render("CMakeLists.txt.j2", **values))
    return lib


def semver(text: str) -> str:
    """The first X.Y.Z in a version description: PlatformIO rejects anything else."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return f"{match[1]}.{match[2]}.{match[3] or 0}" if match else "0.0.0"


def library_manifest(lib: ModelLibrary, defines: list[str]) -> str:
    """``library.json``, written by ``json.dumps`` (no Jinja ``tojson`` escapes such as
    ``\\u003c``), with the license and repository fields PlatformIO's registry asks for."""
    build = {"srcDir": "src", "includeDir": "include", "flags": defines, "libArchive": False}
    if lib.cmsis_nn_root is not None:
        build["extraScript"] = CMSIS_NN_SCRIPT      # compiles the CMSIS-NN sources it calls
    manifest = {
        "name": lib.name,
        "version": __version__,
        "description": f"Neural network {lib.name} as C code, generated by mcugen {__version__} "
                       f"(kernels: {lib.kernels}). Call {lib.name}_invoke().",
        "keywords": ["mcugen", "neural network", "tflite", "cortex-m"],
        "license": LICENSE,
        "repository": REPOSITORY,
        "frameworks": "*",
        "platforms": "*",
        "headers": [h.name for h in lib.headers if h.name != "mcugen_model_api.h"],
        "build": build,
        "export": {"exclude": ["examples/*/.pio"]},
        "examples": [f"examples/{lib.name}_example/*.c"],
    }
    return json.dumps(manifest, indent=2) + "\n"
