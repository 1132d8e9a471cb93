"""Real data for ``verify --inputs FILE`` (and labels for ``--labels``): N samples, not one.

Why a module of its own: a verification on random bytes says the device computes what the
simulator does; only real windows say whether the model is still any good after quantization and
deployment. Users have their data in the forms ``quantize --calib`` takes, so the same forms are
read here: an ``.npy`` with a leading N axis (or one sample), an ``.npz`` (one array per input
name; for a one-input model also ``x`` or its only array), a directory of ``.npy`` files, or a
CSV file (one sample per row, the input's values flattened; a header row is skipped).

Data is never reinterpreted silently:

* integer data of the input's own dtype is taken as it is (already quantized);
* float data for an integer input is quantized with the input's scale and zero point (TFLite's
  rounding, half away from zero, saturated) and :attr:`Dataset.note` says so; CSV values are
  real numbers, so a CSV for an integer input is always quantized;
* integer data of another dtype (uint8 pixels for an int8 input, int64, ...) is refused in one
  line, as is integer data for a float input: both are usually a scale the file does not carry.

Each sample keeps its real-valued form too (:attr:`Dataset.real`: the float data, or the
integer data dequantized), which is what a float reference model is fed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .model.graph import Graph, Tensor
from .npdata import NpzArchive, load_npy, squeezed


@dataclass
class Dataset:
    source: str
    samples: list[list[np.ndarray]]               # per sample, one array per model input
    real: list[list[np.ndarray]]                  # the same samples as real (float32) values
    notes: list[str] = field(default_factory=list)   # how the data was converted, if it was
    quantized: bool = False                          # float data quantized with the input's q

    def __len__(self) -> int:
        return len(self.samples)


def split_samples(array: np.ndarray, t: Tensor, where: str) -> list[np.ndarray]:
    """An array holding one sample of input ``t`` or N of them along a leading axis (shapes
    compared without their size-1 dimensions; a flat row per sample is accepted too) -> the
    samples, each shaped like ``t``."""
    shape = tuple(int(d) for d in t.shape)
    if array.size == t.size and squeezed(array.shape) == squeezed(shape):
        return [array.reshape(shape)]
    if array.ndim >= 1 and array.shape[0] >= 1 and array.size == array.shape[0] * t.size and \
            (array.ndim == 2 or squeezed(array.shape[1:]) == squeezed(shape)):
        return [a.reshape(shape) for a in array.reshape(array.shape[0], -1)]
    raise InputError(f"input '{t.name}' takes {t.dtype}{list(shape)} per sample; got "
                     f"{array.dtype}{list(array.shape)} (give N samples along the first axis)",
                     where)


def _per_input(path: Path, graph: Graph) -> list[np.ndarray]:
    tensors = [graph.tensors[i] for i in graph.inputs]
    where = str(path)
    if path.is_dir():
        if len(tensors) != 1:
            raise InputError(f"the model takes {len(tensors)} inputs: give an .npz with one "
                             "array per input name", where)
        files = sorted(path.glob("*.npy"))
        if not files:
            raise InputError("the directory holds no .npy files", where)
        parts = [load_npy(f, "input data") for f in files]
        dtypes = {p.dtype for p in parts}
        if len(dtypes) != 1:
            raise InputError(f"the .npy files differ in dtype ({', '.join(map(str, dtypes))})",
                             where)
        samples = []
        for f, p in zip(files, parts):
            samples += split_samples(p, tensors[0], str(f))
        return [np.stack(samples)]
    if path.suffix.lower() in (".csv", ".txt"):
        if len(tensors) != 1:
            raise InputError(f"the model takes {len(tensors)} inputs: a CSV holds one; give an "
                             ".npz with one array per input name", where)
        return [_read_csv(path, tensors[0].size)]
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"PK":
        with NpzArchive(path, "input data") as archive:
            names = archive.files
            arrays = []
            for n, t in enumerate(tensors):
                key = next((k for k in ([t.name, f"arr_{n}"] + (["x"] if len(tensors) == 1
                                                                 else [])) if k in archive),
                           None)
                if key is None and len(tensors) == 1 and len(names) == 1:
                    key = names[0]
                if key is None:
                    raise InputError(f"no array named '{t.name}'" +
                                     (" or 'x'" if len(tensors) == 1 else f" or 'arr_{n}'") +
                                     f" in the .npz (it has {', '.join(names) or 'none'})", where)
                arrays.append(archive[key])
            return arrays
    if len(tensors) != 1:
        raise InputError(f"the model takes {len(tensors)} inputs: give an .npz with one array "
                         "per input name", where)
    return [load_npy(path, "input data")]


def _read_csv(path: Path, width: int) -> np.ndarray:
    rows = []
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the CSV file ({type(exc).__name__})", str(path)) from None
    for n, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.replace(";", ",").split(",")]
        try:
            values = [float(c) for c in cells if c != ""]
        except ValueError:
            if not rows and n == 0:      # a header row
                continue
            raise InputError(f"line {n + 1} of the CSV is not all numbers", str(path)) from None
        if len(values) != width:
            raise InputError(f"line {n + 1} of the CSV has {len(values)} values; the input "
                             f"takes {width} per sample (one sample per row)", str(path))
        rows.append(values)
    if not rows:
        raise InputError("the CSV file holds no samples", str(path))
    return np.asarray(rows, np.float32)


def _convert(samples: list[np.ndarray], t: Tensor, where: str, notes: list[str],
             csv: bool) -> tuple[list[np.ndarray], list[np.ndarray], bool]:
    """(samples as the model takes them, as real values, whether they were quantized)."""
    from .quantize.params import dequantize_values, quantize_values
    kind = samples[0].dtype.kind
    if kind not in "biuf":
        raise InputError(f"data for input '{t.name}' is {samples[0].dtype}, not numeric", where)
    if kind == "f" and not all(np.all(np.isfinite(s)) for s in samples):
        raise InputError(f"data for input '{t.name}' has NaN or infinity", where)
    if t.dtype.kind == "f":
        if kind != "f" and not csv:
            raise InputError(f"input '{t.name}' is {t.dtype}; got {samples[0].dtype} data: give "
                             "the real values the model takes", where)
        fl = [s.astype(t.dtype) for s in samples]
        return fl, fl, False
    q = t.quant
    if kind == "f":
        if q is None or q.scale.size != 1:
            raise InputError(f"input '{t.name}' is {t.dtype} without one scale and zero point: "
                             "give it integer data", where)
        info = np.iinfo(t.dtype)
        scale, zp = float(q.scale[0]), int(q.zero_point[0])
        notes.append(f"{'CSV' if csv else samples[0].dtype} data for input '{t.name}' quantized "
                     f"to {t.dtype} with its scale {scale:.6g} and zero point {zp}")
        quantized = [quantize_values(s, scale, zp, info.min, info.max, t.dtype) for s in samples]
        return quantized, [s.astype(np.float32) for s in samples], True
    if samples[0].dtype != t.dtype:
        raise InputError(f"input '{t.name}' is {t.dtype}; got {samples[0].dtype} data: give "
                         f"{t.dtype} values, or real (float) values to be quantized with the "
                         "input's scale and zero point", where)
    real = [dequantize_values(s, q.scale[0], q.zero_point[0]) if q is not None and
            q.scale.size == 1 else s.astype(np.float32) for s in samples]
    return samples, real, False


def load_dataset(spec: str, graph: Graph, limit: int | None = None) -> Dataset:
    """The samples of the file or directory ``spec`` for ``graph``'s inputs (see the module)."""
    path = Path(spec)
    if not path.exists():
        raise InputError("input data not found", spec)
    tensors = [graph.tensors[i] for i in graph.inputs]
    arrays = _per_input(path, graph)
    csv = path.suffix.lower() in (".csv", ".txt")
    columns, reals, notes, quantized = [], [], [], False
    for a, t in zip(arrays, tensors):
        split = split_samples(np.asarray(a), t, spec)
        if limit is not None:
            split = split[:limit]
        model_form, real, q = _convert(split, t, spec, notes, csv)
        columns.append(model_form)
        reals.append(real)
        quantized |= q
    counts = {len(c) for c in columns}
    if len(counts) != 1:
        raise InputError(f"the inputs have different sample counts {sorted(counts)}", spec)
    n = counts.pop()
    return Dataset(source=spec, samples=[[c[k] for c in columns] for k in range(n)],
                   real=[[r[k] for r in reals] for k in range(n)], notes=notes,
                   quantized=quantized)


def load_labels(spec: str, count: int | None = None) -> np.ndarray:
    """Integer class labels, one per sample: .npy (N integers, or N one-hot rows), .npz (``y``,
    ``labels`` or its only array), or a text/CSV file with one label per line (first column)."""
    path = Path(spec)
    if not path.exists():
        raise InputError("labels file not found", spec)
    if path.suffix.lower() in (".csv", ".txt") or path.is_dir():
        if path.is_dir():
            raise InputError("expected a labels file, got a directory", spec)
        values = []
        for n, line in enumerate(path.read_text(errors="replace").splitlines()):
            cell = line.replace(";", ",").split(",")[0].strip()
            if not cell or cell.startswith("#"):
                continue
            try:
                values.append(int(cell))
            except ValueError:
                if n == 0 and not values:
                    continue        # header
                raise InputError(f"line {n + 1} of the labels is not an integer", spec) from None
        labels = np.asarray(values, np.int64)
    else:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic[:2] == b"PK":
            with NpzArchive(path, "labels") as archive:
                key = next((k for k in ("y", "labels", "label") if k in archive), None)
                if key is None and len(archive.files) == 1:
                    key = archive.files[0]
                if key is None:
                    raise InputError(f"no array named 'y' or 'labels' in the .npz (it has "
                                     f"{', '.join(archive.files)})", spec)
                labels = archive[key]
        else:
            labels = load_npy(path, "labels")
        if labels.ndim == 2 and labels.shape[1] > 1:      # one-hot rows
            labels = np.argmax(labels, axis=1)
        labels = labels.reshape(-1)
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        if labels.dtype.kind not in "iub":
            raise InputError(f"labels must be integers (class indices); got {labels.dtype}", spec)
    if count is not None:
        if len(labels) < count:
            raise InputError(f"{len(labels)} labels for {count} samples", spec)
        labels = labels[:count]
    return labels.astype(np.int64)
