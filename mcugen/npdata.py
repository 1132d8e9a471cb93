"""Reading and writing the user's .npy/.npz data files, safely.

Every file is checked before anything is allocated: the .npy header (``np.lib.format``) gives
the dtype and shape, and an array larger than ``MCUGEN_MAX_TENSOR_BYTES`` (default 256 MiB) or
longer than the bytes the file (or the .npz member) actually holds is refused with one line. So a
zip bomb, a header claiming 10^12 elements, an empty or truncated file, an .npz member that is
not .npy, pickled objects (never loaded), complex numbers and structured records all become an
:class:`InputError` (exit 2). Only the members asked for are read.
"""

from __future__ import annotations

import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import InputError
from .model.validate import max_tensor_bytes

#: dtype kinds mcugen reads: bool, signed and unsigned integers, floats
NUMERIC_KINDS = "biuf"
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError,
                RuntimeError, NotImplementedError, OverflowError)
# numpy parses the .npy header's dict literal with Python's own tokenizer and ast: a garbled
# header raises their errors too (found by benchmarks/fuzz_models.py --kind data)
_HEADER_ERRORS = (*_READ_ERRORS, SyntaxError, tokenize.TokenError, TypeError, AttributeError,
                  RecursionError, UnicodeError)


def _header(f: BinaryIO, where: str,
            what: str = "data") -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """(shape, dtype, fortran_order, header length) of the .npy stream at its start."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except _HEADER_ERRORS as exc:
        raise InputError(f"cannot read {what} as .npy/.npz: not a .npy array ({_reason(exc)})",
                         where) from None
    header_len = f.tell() if hasattr(f, "tell") else 0
    if dtype.hasobject:
        raise InputError("the array holds Python objects (pickles are refused)", where)
    if dtype.kind == "c":
        raise InputError(f"the array is complex ({dtype}); mcugen takes real numbers", where)
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"the array's dtype {dtype} is not a numeric type", where)
    if any(int(d) < 0 for d in shape):
        raise InputError(f"the array header has a negative dimension {list(shape)}", where)
    return tuple(int(d) for d in shape), dtype, fortran, header_len


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:160] if text else type(exc).__name__


def _check_size(shape, dtype: np.dtype, available: int, header_len: int, where: str) -> None:
    count = 1
    for d in shape:
        count *= d
    nbytes = count * dtype.itemsize
    limit = max_tensor_bytes()
    if nbytes > limit:
        raise InputError(f"the array {dtype}{list(shape)} needs {nbytes:,} bytes, more than "
                         f"the limit of {limit:,} (MCUGEN_MAX_TENSOR_BYTES)", where)
    if header_len + nbytes > available:
        raise InputError(f"truncated: the header declares {dtype}{list(shape)} ({nbytes:,} "
                         f"bytes) but the file holds {max(available - header_len, 0):,}", where)


def load_npy(path: str | Path, what: str = "data") -> np.ndarray:
    """One array from a .npy file, checked before it is read."""
    where = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file not found", where)
    if p.is_dir():
        raise InputError("expected a .npy file, got a directory", where)
    try:
        if p.stat().st_size == 0:
            raise InputError(f"cannot read {what} as .npy/.npz: the file is empty", where)
        with open(p, "rb") as f:
            shape, dtype, _, header_len = _header(f, where, what)
            _check_size(shape, dtype, p.stat().st_size, header_len, where)
            f.seek(0)
            return np.lib.format.read_array(f, allow_pickle=False)
    except InputError:
        raise
    except _READ_ERRORS as exc:
        raise InputError(f"cannot read {what} as .npy ({_reason(exc)})", where) from None


class NpzArchive:
    """An .npz opened for reading members one by one (each checked before it is read)."""

    def __init__(self, path: str | Path, what: str = "data"):
        self.where, self.what = str(path), what
        p = Path(path)
        if not p.exists():
            raise InputError(f"{what} file not found", self.where)
        if p.is_dir():
            raise InputError("expected an .npz file, got a directory", self.where)
        try:
            self._zip = zipfile.ZipFile(p)
            infos = self._zip.infolist()
        except _READ_ERRORS as exc:
            raise InputError(f"cannot read {what} as .npz: not a readable zip archive "
                             f"({_reason(exc)})", self.where) from None
        self._members = {}
        for info in infos:
            name = info.filename
            key = name[:-4] if name.endswith(".npy") else name
            self._members.setdefault(key, info)

    @property
    def files(self) -> list[str]:
        return list(self._members)

    def __contains__(self, key: str) -> bool:
        return key in self._members

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __getitem__(self, key: str) -> np.ndarray:
        info = self._members[key]
        where = f"{self.where}, member '{info.filename}'"
        if not info.filename.endswith(".npy"):
            raise InputError("the .npz member is not a .npy array", where)
        try:
            with self._zip.open(info) as f:
                shape, dtype, _, header_len = _header(f, where, self.what)
                _check_size(shape, dtype, info.file_size, header_len, where)
            with self._zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except InputError:
            raise
        except _READ_ERRORS as exc:
            raise InputError(f"cannot read the .npz member ({_reason(exc)})", where) from None


def open_data(path: str | Path, what: str = "data") -> np.ndarray | NpzArchive:
    """A .npy array or an opened .npz archive, by the file's content (magic bytes)."""
    where = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file not found", where)
    if p.is_dir():
        raise InputError("expected a .npy or .npz file, got a directory", where)
    try:
        with open(p, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where) from None
    if magic[:4] == b"PK\x03\x04" or magic[:4] == b"PK\x05\x06":
        return NpzArchive(p, what)
    if not magic:
        raise InputError(f"cannot read {what} as .npy/.npz: the file is empty", where)
    return load_npy(p, what)


def squeezed(shape) -> tuple[int, ...]:
    """A shape without its size-1 axes: two shapes that agree so hold the same values in the
    same order."""
    return tuple(int(d) for d in shape if d != 1)


def as_input_shape(a: np.ndarray, shape, what: str, where: str) -> np.ndarray:
    """``a`` as an array of the input's ``shape``: it must hold the same values in the same
    order, so its shape may differ from the input's only by axes of size 1 (a batch axis left
    out, a channel axis of 1). Anything else — a flat vector for an image, or channels-last data
    for a channels-first (ONNX) input — would be a silent re-interpretation: refused."""
    shape = tuple(int(d) for d in shape)
    if tuple(a.shape) == shape:
        return a
    if a.size == int(np.prod(shape, dtype=np.int64)) and squeezed(a.shape) == squeezed(shape):
        return a.reshape(shape)
    raise InputError(f"{what} has shape {list(a.shape)}; the input is {list(shape)} (only axes "
                     "of size 1 may differ: data in another layout or flattened is not "
                     "reinterpreted)", where)


def writable_file(path: str | Path, what: str = "output") -> Path:
    """``path`` as a file to write: its directory must exist and it must not be a directory."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"the {what} path is a directory, expected a file name", str(path))
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"the {what}'s directory does not exist", str(parent))
    if not parent.is_dir():
        raise InputError(f"the {what}'s directory is not a directory", str(parent))
    return p

