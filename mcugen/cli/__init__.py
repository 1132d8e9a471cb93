"""The ``mcugen`` command line.

Each subcommand is a module in this package exposing ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; they are discovered, so adding a command is adding a file.
Error contract: exit 0 success, 1 verification mismatch, 2 bad input or usage, 3 infrastructure
failure; failures print one line ``mcugen: error: <what> (<where>)`` on stderr, and a traceback
only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import traceback

from .. import __version__
from ..errors import McugenError


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in the same one-line form, with exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        print(f"mcugen: error: {message} (usage: {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _commands():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            if hasattr(module, "run"):
                yield module


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mcugen", description="Neural network -> verified C for Cortex-M.")
    parser.add_argument("--version", action="version", version=f"mcugen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--requantize-qdq-weights", action="store_true",
                        help="QDQ ONNX models: re-quantize weights TFLite's int8 rules cannot take "
                             "(uint8, asymmetric, -128) from their real values instead of "
                             "refusing them")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _commands():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _terminate(signum, frame):  # noqa: ARG001 - signal handler signature
    # SIGTERM (CI cancelling a job, `timeout`) unwinds like Ctrl-C, so every runner's cleanup
    # runs and no emulator is left behind
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    if args.requantize_qdq_weights:
        from ..model.onnx_qdq import REQUANTIZE_ENV
        os.environ[REQUANTIZE_ENV] = "1"     # read where the QDQ importer meets such weights
    try:
        return int(args._run(args) or 0)
    except McugenError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"mcugen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mcugen: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`mcugen boards --json | head -1`): what it wanted it has; not an
        # error of mcugen's. Point stdout at /dev/null so the interpreter's final flush is quiet.
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug in mcugen: still one line, but say it is ours
        if args.debug:
            traceback.print_exc()
        print(f"mcugen: error: internal error: {type(exc).__name__}: {exc} "
              "(run with --debug and report it)", file=sys.stderr)
        return 3


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):   # no real file descriptor (captured)
        pass


if __name__ == "__main__":
    sys.exit(main())
