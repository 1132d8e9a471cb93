"""Shared fixtures: the reference models in ../shared/models and the TFLM oracle; the hypothesis
profiles of every property test.

Hypothesis profiles (registered here, once):

- ``ci`` (the default): derandomized, ``CI_EXAMPLES`` examples per test (``@examples(n)`` where a
  test wants another count), no example database, no deadline, no timing-dependent health
  check. The examples are a fixed function of the code: each test's source and the constants
  hypothesis collects from the modules loaded so far (so a test run alone may draw other cases
  than in the whole suite). Every run of one command on one commit, fresh clone or not, checks
  the same cases and reaches the same verdict; a failure prints a ``@reproduce_failure`` blob
  that replays it anywhere.
- ``explore``: random examples, ten times as many (``EXPLORE_EXAMPLES`` per test), failures
  saved in .hypothesis/ and replayed. Loaded by ``-m slow``, which then also selects every
  hypothesis test, or by ``MCUGEN_HYPOTHESIS=explore`` for whatever is selected.

``MCUGEN_HYPOTHESIS=<profile>`` or hypothesis's own ``--hypothesis-profile`` choose explicitly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings

from tests.oracle import SHARED_MODELS  # noqa: F401  (re-exported for tests)
from tests.strategies import CI_EXAMPLES, EXPLORE_EXAMPLES

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# Health checks that depend on the machine's speed (too_slow) or flag large but valid draws
# (data_too_large) would make the verdict depend on more than the examples.
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=CI_EXAMPLES, derandomize=True, database=None,
                          deadline=None, print_blob=True, suppress_health_check=_SUPPRESSED)
settings.register_profile("explore", max_examples=EXPLORE_EXAMPLES, derandomize=False,
                          deadline=None, print_blob=True, suppress_health_check=_SUPPRESSED)
PROFILE_ENV = "MCUGEN_HYPOTHESIS"


def _asks_for_slow(markexpr: str | None) -> bool:
    """``-m`` selects the slow tier: it names ``slow`` other than as ``not slow``."""
    return bool(re.search(r"\bslow\b", re.sub(r"\bnot\s+slow\b", "", markexpr or "")))


def pytest_configure(config):
    # Before collection: @examples(n) reads the active profile when test modules are imported.
    if config.getoption("hypothesis_profile", None):
        return                              # hypothesis's own option has loaded that profile
    explore = _asks_for_slow(config.getoption("markexpr"))
    settings.load_profile(os.environ.get(PROFILE_ENV) or ("explore" if explore else "ci"))


@pytest.fixture
def slow_selected(request) -> None:
    """The slow tiers run only when asked for (``-m slow``), even where nothing deselects them
    (an overridden ``addopts``, say)."""
    if not _asks_for_slow(request.config.getoption("markexpr")):
        pytest.skip("slow tier: run with -m slow")


@pytest.hookimpl(tryfirst=True)             # before -m deselects anything
def pytest_collection_modifyitems(config, items):
    slow_tier = _asks_for_slow(config.getoption("markexpr"))
    for item in items:
        # Every test starting QEMU gets a hard timeout even when its author forgot one.
        if "qemu" in item.keywords and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(300))
        # The slow tier is also every property test, run under the explore profile.
        if slow_tier and is_hypothesis_test(getattr(item, "obj", None)):
            item.add_marker(pytest.mark.slow)
