"""The bounded tier of ``benchmarks/fuzz_models.py``: mutated shared models, each run through
``inspect``, ``plan`` and ``simulate`` in a memory- and time-capped child, never crash, run away
or hang. (The long run: ``python benchmarks/fuzz_models.py --cases 100000``.)"""

from __future__ import annotations

import pytest

from benchmarks.fuzz_models import SHARED, default_seeds, run_fuzz

CASES = 160
SEED = 0


def _seeds():
    seeds = [p for p in default_seeds(small=True) if p.stat().st_size < 60_000]
    if not seeds:
        pytest.skip(f"{SHARED} is absent (the fuzzer's seed models live in ../shared/models)")
    return seeds


def test_bounded_fuzz_tier(tmp_path):
    fig = run_fuzz(_seeds(), CASES, seed=SEED, jobs=2, mem_bytes=1 << 30, timeout=30.0,
                   out=tmp_path)
    assert fig.cases == CASES and sum(fig.counts.values()) == CASES
    bad = list(fig.problems)
    assert not bad, "\n".join(f"{c}: {s}: {w}: {m} [{f}]" for c, s, w, m, f in bad[:10])
    # the mutations reach both sides of the validator
    assert fig.counts["rejected"] > CASES // 5 and fig.counts["accepted"] > CASES // 10


def test_harness_classifies_a_crash(tmp_path, monkeypatch):
    """The harness can fail: an exception escaping a command is a crash with a reproducer."""
    import mcugen.cli.plan as plan_cmd

    def broken(args):
        raise KeyError("planted")
    monkeypatch.setattr(plan_cmd, "run", broken)
    fig = run_fuzz(_seeds()[:1], 4, seed=SEED, jobs=2, timeout=30.0, out=tmp_path)
    assert fig.counts["crash"] == 4
    assert any("planted" in m for _, _, _, m, _ in fig.problems)
    assert list(tmp_path.glob("crash_*.tflite")) and list(tmp_path.glob("crash_*.json"))
