"""Where mcugen's data folders are: ``templates/`` and ``boards/``.

In a source checkout (and an editable install) they sit beside the package at the top of the
repository; a wheel ships them inside the package as ``mcugen/_data/``.
"""

from __future__ import annotations

import re
from functools import lru_cache
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


_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(MCUGEN_\w+)[ \t]+(0[xX][0-9a-fA-F]+|\d+)[uU]?\b",
                     re.MULTILINE)


@lru_cache(maxsize=None)
def c_constants(header: str) -> dict[str, int]:
    """The integer ``#define MCUGEN_<NAME> <value>`` lines of a C header in ``templates/``.

    Numbers both C and Python use are defined once, in the C header the firmware compiles with,
    and read from it here: the protocol codes (``firmware/mcugen_protocol.h``) and the model
    ABI's limits (``runtime/mcugen_model_api.h``)."""
    text = (templates_dir() / header).read_text()
    return {name: int(value, 0) for name, value in _DEFINE.findall(text)}
