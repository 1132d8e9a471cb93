"""Structured synthetic calibration/evaluation inputs for models without shipped real data.

Shared by tests and benchmarks/quantize_quality.py. Deterministic (seeded).
"""

from __future__ import annotations

import numpy as np


def smooth_images(count: int, seed: int = 0, size: int = 32, channels: int = 3) -> np.ndarray:
    """Natural-looking 0..255 images: a coarse random grid upsampled bilinearly, plus texture."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, 1, size, size, channels), np.float32)
    for n in range(count):
        grid = int(rng.integers(2, 7))
        coarse = rng.uniform(0, 255, (grid, grid, channels))
        pos = np.linspace(0, grid - 1, size)
        i0 = np.floor(pos).astype(int).clip(0, grid - 2) if grid > 1 else np.zeros(size, int)
        f = pos - i0
        rows = coarse[i0] * (1 - f)[:, None, None] + coarse[i0 + 1] * f[:, None, None]
        img = rows[:, i0] * (1 - f)[None, :, None] + rows[:, i0 + 1] * f[None, :, None]
        img += rng.normal(0, 8, img.shape)
        out[n, 0] = np.clip(img, 0, 255)
    return out


def mfcc_like(count: int, template: np.ndarray, seed: int = 0) -> np.ndarray:
    """MFCC-like (49 x 10) patterns: a real MFCC template, time-shifted and rescaled, with
    smooth (time-correlated) per-coefficient perturbations; template shape (1, 49, 10, 1)."""
    rng = np.random.default_rng(seed)
    base = np.asarray(template, np.float32).reshape(49, 10)
    spread = base.std(axis=0, keepdims=True) + 1.0
    kernel = np.hanning(9)
    kernel /= kernel.sum()
    out = np.empty((count, 1, 49, 10, 1), np.float32)
    for n in range(count):
        x = np.roll(base, int(rng.integers(-12, 13)), axis=0) * rng.uniform(0.6, 1.3)
        noise = rng.normal(0, 1, (49 + 8, 10))
        smooth = np.stack([np.convolve(noise[:, k], kernel, "valid") for k in range(10)], 1)
        out[n, 0, :, :, 0] = x + 2.5 * smooth * spread
    return out


def ad01_windows(frames: np.ndarray, starts: range) -> np.ndarray:
    """The AD model's input: 5 consecutive log-mel frames flattened (640), one per start."""
    return np.stack([frames[s:s + 5].reshape(1, 640) for s in starts]).astype(np.float32)


def sine_inputs(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 2 * np.pi, (count, 1, 1)).astype(np.float32)
