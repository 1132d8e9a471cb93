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


def test_bounded_fuzz_tier_data_files(tmp_path):
    """Mutated .npy/.npz files through simulate --input and quantize --calib."""
    from benchmarks.fuzz_models import data_seeds
    seeds = data_seeds(tmp_path / "seeds")
    fig = run_fuzz(seeds, 24, seed=SEED, jobs=2, mem_bytes=1 << 30, timeout=30.0,
                   out=tmp_path / "out")
    bad = list(fig.problems)
    assert not bad, "\n".join(f"{c}: {s}: {w}: {m} [{f}]" for c, s, w, m, f in bad[:10])
    assert fig.counts["rejected"] > 4 and fig.counts["accepted"] > 2


def test_bounded_fuzz_tier_onnx(tmp_path):
    """Mutated shared .onnx models (float and QDQ) through inspect, plan and simulate."""
    seeds = [p for p in default_seeds(kind="onnx") if p.stat().st_size < 200_000]
    if not seeds:
        pytest.skip(f"{SHARED} has no .onnx models (the ONNX seeds live in ../shared/models/onnx)")
    fig = run_fuzz(seeds, 16, seed=SEED, jobs=2, mem_bytes=1 << 30, timeout=30.0,
                   out=tmp_path)
    bad = list(fig.problems)
    assert not bad, "\n".join(f"{c}: {s}: {w}: {m} [{f}]" for c, s, w, m, f in bad[:10])
    assert fig.counts["rejected"] > 2 and fig.counts["accepted"] > 2
