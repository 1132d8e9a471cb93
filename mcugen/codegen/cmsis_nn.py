"""Finding a CMSIS-NN source tree: ``--cmsis-nn DIR``, then ``$MCUGEN_CMSIS_NN``, then the cache
directory (``~/.cache/mcugen/cmsis-nn``). CMSIS-NN is not on a package registry mcugen can use,
so the user provides it; mcugen compiles whatever tree it is pointed at."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

ENV_VAR = "MCUGEN_CMSIS_NN"
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mcugen" / "cmsis-nn"
#: arm_nnfunctions.h API revision -> release tag (the pdsc of a source tree says only "0.0.0")
KNOWN_RELEASES = {"18.0.0": "v7.0.0"}
MIN_API = (18, 0, 0)      # the API of v7.0.0
HOW_TO = (f"pass --cmsis-nn DIR, set {ENV_VAR}, or unpack ARM-software/CMSIS-NN (v7.0.0 or "
          f"newer) into {CACHE_DIR}; or use --kernels portable")


@dataclass
class CmsisNN:
    root: Path
    version: str

    def include_dirs(self) -> list[Path]:
        return [self.root / "Include"]

    def sources(self) -> list[Path]:
        """The int8 kernel sources (float and 16-bit-float files left out)."""
        return sorted(p for p in (self.root / "Source").rglob("*.c")
                      if not re.search(r"(_f16|_f32|flt)", p.name)
                      and "Bindings" not in p.parts)


def find_cmsis_nn(explicit: str | os.PathLike | None = None) -> CmsisNN:
    candidates = [("--cmsis-nn", explicit), (ENV_VAR, os.environ.get(ENV_VAR)),
                  ("cache", str(CACHE_DIR) if CACHE_DIR.is_dir() else None)]
    for origin, value in candidates:
        if not value:
            continue
        root = Path(value).expanduser()
        if not (root / "Include" / "arm_nnfunctions.h").is_file():
            raise InputError(f"not a CMSIS-NN tree (no Include/arm_nnfunctions.h); {HOW_TO}",
                             f"{origin} {root}")
        api, date = _api_revision(root)
        if api is None or tuple(int(x) for x in api.split(".")) < MIN_API:
            raise InputError(f"CMSIS-NN API {api or 'unknown'} is too old: mcugen needs v7.0.0 "
                             "(API V.18.0.0) or newer", str(root))
        release = KNOWN_RELEASES.get(api)
        version = release if release else f"API V.{api} ({date}, newer than v7.0.0)"
        return CmsisNN(root.resolve(), version)
    raise InputError(f"CMSIS-NN not found: {HOW_TO}")


def _api_revision(root: Path) -> tuple[str | None, str]:
    """The "$Revision: V.x.y.z" and "$Date" of Include/arm_nnfunctions.h."""
    text = (root / "Include" / "arm_nnfunctions.h").read_text(errors="replace")[:4000]
    rev = re.search(r"\$Revision:\s*V\.?([\d.]+)", text)
    date = re.search(r"\$Date:\s*([^\n*]+)", text)
    return (rev.group(1).strip(".") if rev else None), (date.group(1).strip() if date else "")


def preferred_backend(kernels: str | None = None, cmsis_nn: str | os.PathLike | None = None,
                      board=None) -> str:
    """The backend a command tries first for every layer — one rule for inspect, plan, generate,
    build and export: the one asked for (``--kernels``), else the board's preferred backend,
    else CMSIS-NN when a tree is given (``--cmsis-nn``, ``$MCUGEN_CMSIS_NN`` or the cache),
    else mcugen's portable kernels. Layers the first backend cannot take fall to the next
    (:func:`mcugen.ops.registry.backend_chain`)."""
    if kernels:
        return kernels
    board_kernels = getattr(board, "kernels", None) if board is not None else None
    if board_kernels:
        return board_kernels
    try:
        find_cmsis_nn(cmsis_nn)
        return "cmsis-nn"
    except InputError:
        return "portable"


def kernel_chain(kernels: str, cmsis_nn: str | os.PathLike | None = None) -> tuple[str, ...]:
    """The backends each layer tries when ``kernels`` comes first: then CMSIS-NN when a tree is
    found, then mcugen's portable kernels (the rule of :func:`preferred_backend`)."""
    from ..ops.registry import backend_chain
    try:
        find_cmsis_nn(cmsis_nn)
        found = True
    except InputError:
        found = False
    return backend_chain(kernels, cmsis_nn=found)
