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

RANDOM = "random"


def load_samples(spec: str, graph: Graph, limit: int | None = None,
                 random_count: int = 64) -> list[list[np.ndarray]]:
    inputs = [graph.tensors[i] for i in graph.inputs]
    if spec == RANDOM:
        samples = random_samples(inputs, random_count)
    elif ":" in spec and not Path(spec).exists() and not _looks_like_windows_path(spec):
        samples = _from_callable(spec, inputs)
    else:
        path = Path(spec)
        if not path.exists():
            raise InputError("calibration data not found", spec)
        if path.is_dir():
            samples = _from_directory(path, inputs)
        elif path.suffix == ".npz":
            samples = _from_npz(path, inputs)
        elif path.suffix == ".npy":
            samples = _split_batch(_load_npy(path), inputs[0], str(path)) \
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
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read .npy: {exc}", str(path)) from None


def _multi_input_error(path: Path, inputs: list[Tensor]):
    names = ", ".join(t.name for t in inputs)
    raise InputError(f"the model has {len(inputs)} inputs ({names}): give an .npz with one "
                     "array per input name", str(path))


def _split_batch(array: np.ndarray, t: Tensor, where: str) -> list[list[np.ndarray]]:
    """An N x input-shape array (batch-1 dimension optional) -> N samples."""
    array = np.asarray(array)
    shape = tuple(t.shape)
    per_sample = [shape]
    if len(shape) > 1 and shape[0] == 1:
        per_sample.append(shape[1:])
    for s in per_sample:
        if array.shape[1:] == s:
            return [[_as_float(x.reshape(shape), t, where)] for x in array]
    if array.shape in per_sample:       # one sample, no batch axis
        return [[_as_float(array.reshape(shape), t, where)]]
    raise InputError(f"calibration data for input '{t.name}' has shape {list(array.shape)}, "
                     f"expected N x {list(shape)}", where)


def _as_float(x: np.ndarray, t: Tensor, where: str) -> np.ndarray:
    if not np.issubdtype(x.dtype, np.number):
        raise InputError(f"calibration data for input '{t.name}' is {x.dtype}, not numeric",
                         where)
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise InputError(f"calibration data for input '{t.name}' has NaN or infinity", where)
    return x


def _from_npz(path: Path, inputs: list[Tensor]) -> list[list[np.ndarray]]:
    try:
        archive = np.load(path, allow_pickle=False)
        arrays = {k: archive[k] for k in archive.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read .npz: {exc}", str(path)) from None
    if len(inputs) == 1 and len(arrays) == 1:
        per_input = [next(iter(arrays.values()))]
    else:
        absent = [t.name for t in inputs if t.name not in arrays]
        if absent:
            raise InputError(f"no array named '{absent[0]}' (arrays: {', '.join(arrays)})",
                             str(path))
        per_input = [arrays[t.name] for t in inputs]
    columns = [_split_batch(a, t, str(path)) for a, t in zip(per_input, inputs)]
    counts = {len(c) for c in columns}
    if len(counts) != 1:
        raise InputError(f"inputs have different sample counts {sorted(counts)}", str(path))
    return [[c[n][0] for c in columns] for n in range(counts.pop())]


def _from_directory(path: Path, inputs: list[Tensor]) -> list[list[np.ndarray]]:
    if len(inputs) != 1:
        _multi_input_error(path, inputs)
    files = sorted(path.glob("*.npy"))
    if not files:
        raise InputError("directory holds no .npy files", str(path))
    samples = []
    for f in files:
        samples += _split_batch(_load_npy(f), inputs[0], str(f))
    return samples


def _from_callable(spec: str, inputs: list[Tensor]) -> list[list[np.ndarray]]:
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
        samples.append([_one(a, t, f"{spec} sample {n}") for a, t in zip(arrays, inputs)])
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


def _one(value: Any, t: Tensor, where: str) -> np.ndarray:
    a = np.asarray(value)
    if a.size != t.size or (a.shape != tuple(t.shape) and a.shape != tuple(t.shape[1:])):
        raise InputError(f"calibration data for input '{t.name}' has shape {list(a.shape)}, "
                         f"expected {list(t.shape)}", where)
    return _as_float(a.reshape(t.shape), t, where)
