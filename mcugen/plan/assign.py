"""Offset assignment: place buffers with known lifetimes in as few arena bytes as possible.

First fit in a given placement order (each buffer goes to the lowest offset where it overlaps no
already-placed buffer that is live at the same time), tried over several orders — greedy by size
(TFLM's planner), by size × duration, by first use — then a deterministic hill climb that swaps
neighbours in the best order. The search stops as soon as it reaches the lower bound, which no
placement can beat.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    key: int          # caller's identifier
    size: int         # bytes, already aligned
    first: int
    last: int


def first_fit(blocks: list[Block], alignment: int) -> tuple[dict[int, int], int]:
    """Offsets for ``blocks`` placed in list order; returns (key -> offset, arena size)."""
    placed: list[tuple[int, int, Block]] = []   # (offset, end, block)
    offsets: dict[int, int] = {}
    top = 0
    for b in blocks:
        busy = sorted((o, e) for o, e, p in placed if p.first <= b.last and b.first <= p.last)
        offset = 0
        for start, end in busy:
            if offset + b.size <= start:
                break
            offset = max(offset, _align(end, alignment))
        offsets[b.key] = offset
        placed.append((offset, offset + b.size, b))
        top = max(top, offset + b.size)
    return offsets, top


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def greedy_by_size(blocks: list[Block], alignment: int) -> tuple[dict[int, int], int]:
    """The plain baseline: largest first (ties by first use), first fit."""
    return first_fit(sorted(blocks, key=lambda b: (-b.size, b.first, b.key)), alignment)


def assign_offsets(blocks: list[Block], alignment: int, lower_bound: int,
                   budget: int = 400, seed: int = 0) -> tuple[dict[int, int], int]:
    """Best placement found; never worse than greedy_by_size; deterministic for a given input."""
    if not blocks:
        return {}, 0
    orders = [
        sorted(blocks, key=lambda b: (-b.size, b.first, b.key)),
        sorted(blocks, key=lambda b: (-(b.size * (b.last - b.first + 1)), b.key)),
        sorted(blocks, key=lambda b: (b.first, -b.size, b.key)),
        sorted(blocks, key=lambda b: (-(b.last - b.first), -b.size, b.key)),
    ]
    best_order, (best, best_top) = orders[0], first_fit(orders[0], alignment)
    for order in orders[1:]:
        offsets, top = first_fit(order, alignment)
        if top < best_top:
            best_order, best, best_top = order, offsets, top
    rng = random.Random(seed)
    n = len(best_order)
    for _ in range(budget if n > 1 else 0):
        if best_top <= lower_bound:
            break
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        candidate = list(best_order)
        candidate[i], candidate[j] = candidate[j], candidate[i]
        offsets, top = first_fit(candidate, alignment)
        if top < best_top:
            best_order, best, best_top = candidate, offsets, top
    return best, best_top
