"""Calibration data: .npy, .npz, a directory of .npy files, ``module:function``, or ``random``.

Every source becomes a list of samples, each a list with one float32 array per model input,
shaped exactly like that input. A sample may omit a leading batch dimension of 1.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Tensor
from ..npdata import NpzArchive, load_npy

RANDOM = "random"
CALIB_AS_FLOAT_FLAG = "--calib-as-float"


def load_samples(spec: str, graph: Graph, limit: int | None = None,
                 random_count: int = 64, integers_as_float: bool = False
                 ) -> list[list[np.ndarray]]:
    """The samples of ``spec``. Integer data for a float input is refused (it is usually
    already-quantized data, whose scale and zero point a float model cannot know) unless
    ``integers_as_float`` (``--calib-as-float``): then its values are taken as they are."""
    inputs = [graph.tensors[i] for i in graph.inputs]
    if spec == RANDOM:
        samples = random_samples(inputs, random_count)
    elif ":" in spec and not Path(spec).exists() and not _looks_like_windows_path(spec):
        samples = _from_callable(spec, inputs, integers_as_float)
    else:
        path = Path(spec)
        if not path.exists():
            raise InputError("calibration data not found", spec)
        if path.is_dir():
            samples = _from_directory(path, inputs, integers_as_float)
        elif path.suffix == ".npz":
            samples = _from_npz(path, inputs, integers_as_float)
        elif path.suffix == ".npy":
            samples = _split_batch(_load_npy(path), inputs[0], str(path), integers_as_float) \
                if len(inputs) == 1 else _multi_input_error(path, inputs)
        else:
            raise InputError("calibration data must be .npy, .npz, a directory of .npy files, "
                             "module:function or 'random'", spec)
    if limit is not None:
        samples = samples[:limit]
    if not samples:
        raise InputError("calibration data holds no samples", spec)
    return samples


def random_samples(inputs: list[Tensor], count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Standard-normal samples: a smoke test only (ranges mean nothing for accuracy)."""
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(t.shape).astype(np.float32) for t in inputs]
            for _ in range(count)]


def _looks_like_windows_path(spec: str) -> bool:
    return len(spec) > 2 and spec[1] == ":" and spec[2] in "\\/"


def _load_npy(path: Path) -> np.ndarray:
    return load_npy(path, "calibration data")


def _multi_input_error(path: Path, inputs: list[Tensor]):
    names = ", ".join(t.name for t in inputs)
    raise InputError(f"the model has {len(inputs)} inputs ({names}): give an .npz with one "
                     "array per input name", str(path))


def _split_batch(array: np.ndarray, t: Tensor, where: str, integers_ok: bool = False
                 ) -> list[list[np.ndarray]]:
    """An N x input-shape array (batch-1 dimension optional) -> N samples."""
    array = np.asarray(array)
    shape = tuple(t.shape)
    per_sample = [shape]
    if len(shape) > 1 and shape[0] == 1:
        per_sample.append(shape[1:])
    for s in per_sample:
        if array.shape[1:] == s:
            return [[_as_float(x.reshape(shape), t, where, integers_ok)] for x in array]
    if array.shape in per_sample:       # one sample, no batch axis
        return [[_as_float(array.reshape(shape), t, where, integers_ok)]]
    raise InputError(f"calibration data for input '{t.name}' has shape {list(array.shape)}, "
                     f"expected N x {list(shape)}", where)


def _as_float(x: np.ndarray, t: Tensor, where: str, integers_ok: bool = False) -> np.ndarray:
    if x.dtype.kind == "c":
        raise InputError(f"calibration data for input '{t.name}' is complex ({x.dtype}); "
                         "mcugen takes real numbers", where)
    if not np.issubdtype(x.dtype, np.number) and x.dtype.kind != "b":
        raise InputError(f"calibration data for input '{t.name}' is {x.dtype}, not numeric",
                         where)
    if x.dtype.kind in "biu" and t.dtype.kind == "f" and not integers_ok:
        raise InputError(f"calibration data for the float input '{t.name}' is {x.dtype}: "
                         "give float samples as the model sees them (integer data would be "
                         f"taken with scale 1, zero point 0; pass {CALIB_AS_FLOAT_FLAG} if that "
                         "is what you mean)", where)
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise InputError(f"calibration data for input '{t.name}' has NaN or infinity", where)
    return x


def _from_npz(path: Path, inputs: list[Tensor],
              integers_ok: bool = False) -> list[list[np.ndarray]]:
    with NpzArchive(path, "calibration data") as archive:   # only the members needed are read
        names = archive.files
        if len(inputs) == 1 and len(names) == 1:
            per_input = [archive[names[0]]]
        else:
            absent = [t.name for t in inputs if t.name not in archive]
            if absent:
                raise InputError(f"no array named '{absent[0]}' (arrays: {', '.join(names)})",
                                 str(path))
            per_input = [archive[t.name] for t in inputs]
    columns = [_split_batch(a, t, str(path), integers_ok) for a, t in zip(per_input, inputs)]
    counts = {len(c) for c in columns}
    if len(counts) != 1:
        raise InputError(f"inputs have different sample counts {sorted(counts)}", str(path))
    return [[c[n][0] for c in columns] for n in range(counts.pop())]


def _from_directory(path: Path, inputs: list[Tensor],
                    integers_ok: bool = False) -> list[list[np.ndarray]]:
    if len(inputs) != 1:
        _multi_input_error(path, inputs)
    files = sorted(path.glob("*.npy"))
    if not files:
        raise InputError("directory holds no .npy files", str(path))
    samples = []
    for f in files:
        samples += _split_batch(_load_npy(f), inputs[0], str(f), integers_ok)
    return samples


def _from_callable(spec: str, inputs: list[Tensor],
                   integers_ok: bool = False) -> list[list[np.ndarray]]:
    module_name, _, function_name = spec.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import module '{module_name}': {exc}", spec) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise InputError(f"module '{module_name}' has no function '{function_name}'", spec)
    samples = []
    for n, item in enumerate(function()):
        arrays = _sample_arrays(item, inputs, f"{spec} sample {n}")
        samples.append([_one(a, t, f"{spec} sample {n}", integers_ok)
                        for a, t in zip(arrays, inputs)])
    return samples


def _sample_arrays(item: Any, inputs: list[Tensor], where: str) -> list[Any]:
    """One yielded sample: an array (single input), a list/tuple, or a dict by input name."""
    if isinstance(item, dict):
        absent = [t.name for t in inputs if t.name not in item]
        if absent:
            raise InputError(f"no value for input '{absent[0]}'", where)
        return [item[t.name] for t in inputs]
    if isinstance(item, (list, tuple)):
        if len(item) != len(inputs):
            raise InputError(f"sample has {len(item)} arrays, the model {len(inputs)} inputs",
                             where)
        return list(item)
    if len(inputs) != 1:
        _multi_input_error(Path(where), inputs)
    return [item]


def _one(value: Any, t: Tensor, where: str, integers_ok: bool = False) -> np.ndarray:
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"calibration sample for input '{t.name}' is not an array "
                         f"({type(exc).__name__})", where) from None
    if a.size != t.size or (a.shape != tuple(t.shape) and a.shape != tuple(t.shape[1:])):
        raise InputError(f"calibration data for input '{t.name}' has shape {list(a.shape)}, "
                         f"expected {list(t.shape)}", where)
    return _as_float(a.reshape(t.shape), t, where, integers_ok)
