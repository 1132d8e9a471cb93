"""Shared fixtures: the reference models in ../shared/models and the TFLM oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.oracle import SHARED_MODELS  # noqa: F401  (re-exported for tests)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def pytest_collection_modifyitems(config, items):
    # Every test starting QEMU gets a hard timeout even when its author forgot one.
    for item in items:
        if "qemu" in item.keywords and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(300))
