"""Command line: ``replicaquant <subcommand> ...``.

Each subcommand lives in ``replicaquant/commands/<name>.py`` (every public module there is a
subcommand, discovered automatically; a module that fails to import is an error, never skipped)
with ``register(subparsers)`` adding its parser and setting ``func``.  The conventions every
command follows (``--out``/``--json``, strict JSON, output paths checked before computing,
conflicting options rejected, progress on stderr, defaults in the help) are documented in
:mod:`replicaquant.commands._common`.

Exit status: 0 success; 1 the computation ran but did not converge (or a figure failed);
2 bad input -- a ``ValueError`` (including a bad or conflicting command line) or an ``OSError``
(file system) prints one line ``replicaquant: error: ...`` with no traceback; 130 interrupted
(Ctrl-C); 141 stdout closed early (``replicaquant ... | head``: quiet, like ``SIGPIPE``).
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys

from .commands._common import HelpFormatter

#: listing order of the subcommands in ``--help`` (others follow alphabetically)
_ORDER = ("solve", "phase", "ground_state", "amp", "mc", "phase_diagram", "figures", "ste")
_NEG_NUMBER = re.compile(r"^-(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|inf(inity)?|nan)$",
                         re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, exit 2 (argparse prints usage otherwise)
        sys.stderr.write(f"replicaquant: error: {message}\n")
        raise SystemExit(2)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("replicaquant")
    except Exception:  # noqa: BLE001 - not installed (source checkout on sys.path)
        return "unknown"


def command_names() -> list[str]:
    """Module names of the subcommands in ``replicaquant.commands`` (listing order)."""
    from . import commands

    found = [m.name for m in pkgutil.iter_modules(commands.__path__)
             if not m.name.startswith("_") and not m.ispkg]
    return [n for n in _ORDER if n in found] + sorted(n for n in found if n not in _ORDER)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand in ``replicaquant.commands`` registered."""
    parser = _Parser(prog="replicaquant",
                     description="Replica theory, AMP and Monte Carlo for quantized regression.")
    parser.add_argument("--version", action="version", version=f"replicaquant {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in command_names():
        importlib.import_module(f"replicaquant.commands.{name}").register(sub)
    return parser


def _protect_negative_numbers(argv: list[str]) -> list[str]:
    """``-inf``, ``-1e-3``, ``-.5`` are values, not options: argparse would read ``--beta -inf``
    as a missing argument.  A leading space keeps the token a value (``float(" -inf")`` works)."""
    return [" " + a if _NEG_NUMBER.match(a) else a for a in argv]


def _quiet_broken_pipe() -> int:
    """stdout was closed by the reader (``| head``): no traceback, no flush error at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def main(argv=None) -> int:
    """Entry point; returns the exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        args = parser.parse_args(_protect_negative_numbers(argv))
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe surfaces here, not in the interpreter's exit flush
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except (ValueError, OSError) as exc:
        msg = " ".join(str(exc).split()) or type(exc).__name__
        try:
            sys.stderr.write(f"replicaquant: error: {msg}\n")
        except BrokenPipeError:  # pragma: no cover - stderr closed too
            pass
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("replicaquant: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
