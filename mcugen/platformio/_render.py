"""Jinja rendering of ``templates/platformio/`` (StrictUndefined: a missing value is a bug)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from ..resources import templates_dir


def template_root() -> Path:
    return templates_dir() / "platformio"


_ENV: jinja2.Environment | None = None


def render(template: str, **values) -> str:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_root())),
                                  undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                  autoescape=False)
    return _ENV.get_template(template).render(**values)


def write_if_changed(path: Path, text: str) -> Path:
    """Write ``text``; leave the file (and its timestamp, so builds stay incremental) if equal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)
    return path
