"""Where mcugen's data folders are: ``templates/`` and ``boards/``.

In a source checkout (and an editable install) they sit beside the package at the top of the
repository; a wheel ships them inside the package as ``mcugen/_data/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mcugen installation is missing its {name}/ folder")


def templates_dir() -> Path:
    return data_dir("templates")


def boards_dir() -> Path:
    return data_dir("boards")
