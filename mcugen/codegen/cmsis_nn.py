"""Finding a CMSIS-NN source tree: ``--cmsis-nn DIR``, then ``$MCUGEN_CMSIS_NN``, then the cache
directory (``~/.cache/mcugen/cmsis-nn``). CMSIS-NN is not on a package registry mcugen can use,
so the user provides it; mcugen compiles whatever tree it is pointed at — only the sources a
model's calls reach on its core (:meth:`CmsisNN.sources_for`), not the whole library: a build,
an exported library and the Makefile then compile about a fifth of it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
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

    def sources_for(self, code: str | list[str], cpu: str | None = None) -> list[Path]:
        """Only the sources that C calling CMSIS-NN (``code``: the generated model's text) can
        reach: a model links ~20 of the library's 100+ files. The closure follows every
        ``arm_*`` identifier from ``code`` to the file that defines it, through that file's own
        calls and the calls inside the headers' inline functions, over-approximating (a branch
        the model never takes still counts) so the link never lacks a function. With ``cpu``
        the code paths of other cores (``#if defined(ARM_MATH_MVEI)`` …) are left out."""
        index = _symbol_index(self.root, _core_macros(cpu))
        texts = [code] if isinstance(code, str) else list(code)
        todo = [name for text in texts for name in _CALL.findall(text)]
        seen: set[str] = set()
        files: set[Path] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(index.inline_calls.get(name, ()))
            src = index.defined_in.get(name)
            if src is not None and src not in files:
                files.add(src)
                todo.extend(index.calls[src])
                # the data it reads (arm_nntables.c's sigmoid_table_uint16 for the s16
                # activations): the defining file, and whatever that file calls
                todo.extend(t for t in index.table_refs[src] if t not in seen)
        return sorted(files)

    def source_defining(self, symbol: str) -> Path | None:
        """The source that defines a global ``symbol`` (a function or a table), if any."""
        index = _symbol_index(self.root, None)
        if symbol in index.defined_in:
            return index.defined_in[symbol]
        pattern = re.compile(rf"^[A-Za-z_][\w \t\*]*\b{re.escape(symbol)}\b\s*[\[=(]", re.M)
        return next((src for src in self.sources()
                     if pattern.search(src.read_text(errors="replace"))), None)


_CALL = re.compile(r"\b(arm_\w+)\s*\(")
# a definition starts in column 0 with its return type: "arm_cmsis_nn_status arm_x_s8(" ...
_DEFINITION = re.compile(r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b(arm_\w+)\s*\(", re.M)
# a global table: "const uint16_t sigmoid_table_uint16[256] = {"
_TABLE = re.compile(r"^(?!static\b)(?:const\s+)?[A-Za-z_]\w*\s+(\w+)\s*\[[^\]]*\]\s*=", re.M)
_INLINE = re.compile(
    r"(?:__STATIC_FORCEINLINE|__STATIC_INLINE|static\s+inline)[^;{(]*?\b(\w+)\s*\(")


@dataclass
class _SymbolIndex:
    defined_in: dict[str, Path]          # functions and global tables -> the defining source
    calls: dict[Path, set[str]]
    inline_calls: dict[str, set[str]]
    table_refs: dict[Path, set[str]]     # the global tables each source names


_INDEXES: dict[tuple, _SymbolIndex] = {}


def _core_macros(cpu: str | None) -> dict[str, bool] | None:
    """CMSIS-NN's code-path macros on ``cpu`` (arm_nn_math_types.h derives them from the
    compiler's __ARM_FEATURE_DSP/MVE), or None when the core is unknown (every path counts)."""
    if cpu is None:
        return None
    if cpu == "host":
        path = "plain"
    else:
        from ..plan.scratch import variant
        try:
            path = variant(cpu)
        except InputError:
            return None
    return {"ARM_MATH_DSP": path in ("dsp", "mve"), "ARM_MATH_MVEI": path == "mve",
            "ARM_MATH_MVEF": False, "ARM_MATH_MVE_FLOAT16": False,
            "ARM_MATH_AUTOVECTORIZE": False}


def _symbol_index(root: Path, macros: dict[str, bool] | None) -> _SymbolIndex:
    """Who defines and who calls which ``arm_*`` function, read from the tree's text (once per
    process, tree and core; ~100 files, some tens of milliseconds)."""
    key = (root, tuple(sorted(macros.items())) if macros else None)
    if key in _INDEXES:
        return _INDEXES[key]
    defined_in: dict[str, Path] = {}
    calls: dict[Path, set[str]] = {}
    texts: dict[Path, str] = {}
    tables: set[str] = set()
    for src in CmsisNN(root, "").sources():
        text = texts[src] = _active(_strip_comments(src.read_text(errors="replace")), macros)
        for name in _DEFINITION.findall(text):
            defined_in.setdefault(name, src)
        for name in _TABLE.findall(text):
            defined_in.setdefault(name, src)
            tables.add(name)
        calls[src] = set(_CALL.findall(text))
    table_refs = {src: {t for t in tables if defined_in[t] != src and re.search(
        rf"\b{t}\b", text)} for src, text in texts.items()}
    inline_calls: dict[str, set[str]] = {}
    for header in sorted((root / "Include").rglob("*.h")):
        text = _active(_strip_comments(header.read_text(errors="replace")), macros)
        for m in _INLINE.finditer(text):
            body = _body(text, m.end())
            inline_calls.setdefault(m.group(1), set()).update(_CALL.findall(body))
    index = _INDEXES[key] = _SymbolIndex(defined_in, calls, inline_calls, table_refs)
    return index


_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b(.*)$")


def _condition(kind: str, expr: str, macros: dict[str, bool]) -> bool | None:
    """An #if/#ifdef/#ifndef/#elif condition over ``macros``; None when it depends on anything
    else (both branches then count)."""
    if kind in ("ifdef", "ifndef"):
        name = expr.split()[0] if expr.split() else ""
        if name not in macros:
            return None
        return macros[name] if kind == "ifdef" else not macros[name]
    unknown = False

    def known(m):
        nonlocal unknown
        name = m.group(1) or m.group(2)
        if name not in macros:
            unknown = True
            return " 1 "
        return " 1 " if macros[name] else " 0 "
    text = re.sub(r"\bdefined\s*\(\s*(\w+)\s*\)|\bdefined\s+(\w+)", known, expr)
    if unknown or re.search(r"[A-Za-z_]", text):
        return None
    text = text.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
    try:
        return bool(eval(text, {"__builtins__": {}}))      # digits, parentheses, and/or/not
    except Exception:
        return None


def _active(text: str, macros: dict[str, bool] | None) -> str:
    """``text`` without the lines of #if branches that are certainly not compiled."""
    if not macros:
        return text
    out, frames = [], []     # frame: [branch (True/False/None), taken (True/False/None)]
    for line in text.splitlines():
        m = _DIRECTIVE.match(line)
        if m:
            kind, expr = m.group(1), m.group(2)
            if kind in ("if", "ifdef", "ifndef"):
                v = _condition(kind, expr, macros)
                frames.append([v, v])
            elif kind == "elif" and frames:
                frame = frames[-1]
                v = _condition("if", expr, macros)
                if frame[1] is True:
                    frame[0] = False
                elif frame[1] is False:
                    frame[0] = frame[1] = v
                else:
                    frame[0] = False if v is False else None
                    frame[1] = True if v is True else None
            elif kind == "else" and frames:
                frame = frames[-1]
                frame[0] = None if frame[1] is None else not frame[1]
                frame[1] = True
            elif kind == "endif" and frames:
                frames.pop()
            continue
        if all(f[0] is not False for f in frames):
            out.append(line)
    return "\n".join(out)


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def _body(text: str, start: int) -> str:
    """The brace-balanced body after a function's parameter list starting near ``start``."""
    open_at = text.find("{", start)
    semi = text.find(";", start)
    if open_at < 0 or (0 <= semi < open_at):
        return ""          # a declaration
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at:i + 1]
    return text[open_at:]


def _note_features(root: Path) -> None:
    """What the per-instance checks must know of the tree in use (the registry's
    CMSIS_NN_FEATURES): an API detail that changed between releases, read from its headers."""
    from ..ops.registry import CMSIS_NN_FEATURES
    CMSIS_NN_FEATURES.clear()
    CMSIS_NN_FEATURES.update(_tree_features(root.resolve()))


@lru_cache(maxsize=None)
def _tree_features(root: Path) -> frozenset[str]:
    """Read once per tree (find_cmsis_nn runs for every plan and render)."""
    path = root / "Include" / "arm_nn_types.h"
    types = path.read_text(errors="replace") if path.is_file() else ""
    context = types[:max(types.find("cmsis_nn_lstm_context;"), 0)]
    context = context[context.rfind("typedef struct"):]
    # 4ab83cc3 and later: the LSTM keeps its hidden state between calls
    return frozenset({"lstm_hidden_state"} if "hidden_state" in context else ())


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
        _note_features(root)
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
