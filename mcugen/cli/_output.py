"""Shared terminal output: one rich console for tables and progress, JSON to stdout.

Output that is piped or redirected (CI logs, ``| grep``, ``> file``) must keep whole names and
one-line summaries, so a console whose stream is not a terminal is as wide as its longest line
(rich would otherwise wrap at 80 columns, at ``COLUMNS`` — which CI runners and test harnesses
often export — or at the width of whichever other stream is a terminal). Progress and spinners
are drawn only when stderr is a terminal, so that a CI log holds the one-line error and nothing
else.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager, nullcontext
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.table import Table
from rich.text import Text

#: the width of a console that is not a terminal: wide enough never to wrap a line
PIPE_WIDTH = 10_000


class _Console(Console):
    """A rich console that does not wrap when its stream is not a terminal."""

    def _size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        if not self.is_terminal:
            return ConsoleDimensions(PIPE_WIDTH, size.height)
        return size

    size = property(_size, Console.size.fset)

    def print(self, *objects, **kwargs) -> None:
        # a table's title is wrapped to the table's width ("kws on host (portable\nkernels)"):
        # print a left-justified title as its own line instead, whole
        out = []
        for obj in objects:
            if isinstance(obj, Table) and obj.title and obj.title_justify == "left":
                out.append(Text(str(obj.title)) if not isinstance(obj.title, Text) else obj.title)
                obj.title = None
                super().print(*out, **kwargs)
                out = []
            out.append(obj)
        super().print(*out, **kwargs)

    def on_broken_pipe(self) -> None:
        # as mcugen.cli.main does for JSON: the reader has what it wanted, exit 0 quietly
        from . import _quiet_stdout
        _quiet_stdout()
        raise SystemExit(0)


# no markup, no emoji codes: names and descriptions come from the user's model file, and a
# tensor named "[/x]" or ":smile:" is printed as it is (rich would parse it, or raise)
console = _Console(highlight=False, markup=False, emoji=False)
err_console = _Console(stderr=True, highlight=False, markup=False, emoji=False)

#: how a failed verdict is shown: it must stand out in a terminal (plain text in a pipe)
ALARM = "bold white on red"
GOOD = "bold green"


def print_json(data: Any, file=None) -> None:
    stream = file or sys.stdout
    json.dump(data, stream, indent=2, default=_default)
    stream.write("\n")


def write_json(data: Any, path: str) -> None:
    """``--json FILE`` of verify and run: ``-`` is stdout."""
    if path == "-":
        print_json(data)
        return
    from ..npdata import writable_file
    writable_file(path, "--json file")
    with open(path, "w") as f:
        print_json(data, f)


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__dict__"):
        return vars(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fmt_int(n: int) -> str:
    return f"{n:,}"


def progress_shown() -> bool:
    """Whether to draw progress: only on a terminal (never in CI logs or captured stderr)."""
    return err_console.is_terminal


def status(message: str):
    """A spinner on stderr while something slow runs (a build, a calibration search), only
    when stderr is a terminal; otherwise nothing."""
    if not progress_shown():
        return nullcontext()
    return err_console.status(message, spinner="dots")


@contextmanager
def progress_bar(description: str, total: int):
    """A transient progress bar on stderr (only on a terminal); yields ``advance(n_done)``."""
    if not progress_shown():
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  MofNCompleteColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.update(task, completed=n)
