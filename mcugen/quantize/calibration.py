"""Calibration: run the float graph over representative samples and choose activation ranges.

The float graph runs on mcugen's own simulator (float kernels), keeping every tensor. Each
observer sees every activation of every sample:

* ``minmax``      the observed [min, max] (what the TF converter does);
* ``percentile``  [0.01 %, 99.99 %] quantiles: drops rare outliers;
* ``mse``         the clipping of [min, max] that minimises the int8 quantization error;
* ``auto``        chosen by :mod:`mcugen.quantize.api` end to end (output SQNR), not here.

Quantiles and MSE need the value distribution; a seeded random subsample per tensor per sample
keeps memory flat on hundreds of samples and makes results reproducible.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from ..errors import InputError
from ..model.graph import Graph
from ..sim import Simulator
from . import params

METHODS = ("minmax", "percentile", "mse", "auto")
_SUBSAMPLE = 2048          # values kept per tensor per sample for percentile/mse
_PERCENTILE = 0.01         # percent cut at each end


class NonFinite(Exception):
    """A calibration sample drove a tensor to NaN or infinity."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


class RangeObserver:
    """Collects min, max and (optionally) a value subsample for every activation tensor."""

    def __init__(self, tensor_indices: list[int], keep_values: bool, seed: int = 0):
        self.indices = tensor_indices
        self.keep_values = keep_values
        self.lo = {i: np.inf for i in tensor_indices}
        self.hi = {i: -np.inf for i in tensor_indices}
        self.values: dict[int, list[np.ndarray]] = {i: [] for i in tensor_indices}
        self._rng = np.random.default_rng(seed)
        self.count = 0
        self._channel_sums: dict[int, np.ndarray] = {}
        self._channel_counts: dict[int, int] = {}

    def observe(self, tensors: dict[int, np.ndarray]) -> None:
        self.count += 1
        for i in self.indices:
            v = tensors[i]
            if not np.all(np.isfinite(v)):
                raise NonFinite(i)
            self.lo[i] = min(self.lo[i], float(v.min()))
            self.hi[i] = max(self.hi[i], float(v.max()))
            rows = v.reshape(-1, v.shape[-1]) if v.ndim else v.reshape(1, 1)
            self._channel_sums[i] = self._channel_sums.get(i, 0.0) + rows.sum(0, np.float64)
            self._channel_counts[i] = self._channel_counts.get(i, 0) + rows.shape[0]
            if self.keep_values:
                flat = v.ravel()
                if flat.size > _SUBSAMPLE:
                    flat = flat[self._rng.integers(0, flat.size, _SUBSAMPLE)]
                self.values[i].append(flat.astype(np.float32))

    def channel_means(self) -> dict[int, np.ndarray]:
        """Mean of every activation per channel (last axis), for bias correction."""
        return {i: self._channel_sums[i] / self._channel_counts[i] for i in self._channel_sums}

    def ranges(self, method: str) -> dict[int, tuple[float, float]]:
        result = {}
        for i in self.indices:
            lo, hi = self.lo[i], self.hi[i]
            if method == "percentile":
                v = np.concatenate(self.values[i])
                lo, hi = (float(q) for q in np.percentile(v, [_PERCENTILE, 100 - _PERCENTILE]))
            elif method == "mse":
                lo, hi = _mse_range(np.concatenate(self.values[i]), lo, hi)
            result[i] = (lo, hi)
        return result


def _mse_range(values: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """The shrink of [lo, hi] (jointly, towards 0) with the least int8 round-trip error."""
    best, best_err = (lo, hi), np.inf
    v = values.astype(np.float64)
    for alpha in np.linspace(1.0, 0.3, 36):
        a, b = lo * alpha, hi * alpha
        s, z = params.activation_params(a, b)
        err = np.mean((params.dequantize_values(params.quantize_values(v, s, z), s, z) - v) ** 2)
        if err < best_err - 1e-12 * abs(best_err):
            best, best_err = (a, b), err
    return best


def calibrate(graph: Graph, samples: Iterable[list[np.ndarray]], methods: Iterable[str],
              total: int | None = None, progress: bool = True,
              runner: Callable[[list[np.ndarray]], dict[int, np.ndarray]] | None = None
              ) -> tuple[dict[str, dict[int, tuple[float, float]]], dict[int, np.ndarray]]:
    """Ranges of every activation tensor of a float ``graph`` per requested method, and every
    activation's per-channel mean (for bias correction).

    ``samples`` yields one list of input arrays per sample. ``runner`` (tests only) replaces the
    simulator: inputs -> every tensor by index.
    """
    methods = [m for m in methods if m != "auto"]
    acts = [t.index for t in graph.tensors if not t.is_constant]
    observer = RangeObserver(acts, keep_values=any(m in ("percentile", "mse") for m in methods))
    if runner is None:
        # each sample from a reset state (samples are independent), and a recurrent state's
        # range over every time step, not only its last value
        sim = Simulator(graph, record_state=True)

        def runner(xs: list[np.ndarray]) -> dict[int, np.ndarray]:
            sim.reset()
            return sim.run(xs, keep_all=True).tensors
    for n, xs in enumerate(_progress(samples, total, "calibrating", progress)):
        try:
            observer.observe(runner(xs))
        except NonFinite as exc:
            name = graph.tensors[exc.index].name
            raise InputError(f"calibration sample {n} makes tensor '{name}' non-finite",
                             graph.name) from None
    if observer.count == 0:
        raise ValueError("no calibration samples")
    if progress and any(m in ("percentile", "mse") for m in methods):
        from ..cli._output import status
        with status(f"choosing ranges ({', '.join(methods)})"):   # seconds of silence else
            return {m: observer.ranges(m) for m in methods}, observer.channel_means()
    return {m: observer.ranges(m) for m in methods}, observer.channel_means()


def _progress(items: Iterable, total: int | None, what: str, show: bool):
    from ..cli._output import progress_shown
    if not show or not progress_shown():     # a bar only on a terminal, never in CI logs
        yield from items
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)
    from ..cli._output import err_console
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(what, total=total)
        for item in items:
            yield item
            bar.advance(task)
