"""Command line: ``replicaquant <subcommand> ...``.

Each subcommand lives in ``replicaquant/commands/<name>.py`` with ``register(subparsers)``
adding its parser and setting ``func``.  Bad input (a ``ValueError`` anywhere) prints one
line ``replicaquant: error: ...`` and exits with status 2, with no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

_COMMANDS = ("solve", "amp", "mc", "phase_diagram", "figures", "ste", "sweep")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage otherwise)
        sys.stderr.write(f"replicaquant: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every available subcommand registered."""
    parser = _Parser(prog="replicaquant",
                     description="Replica theory, AMP and Monte Carlo for quantized regression.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMANDS:
        try:
            mod = importlib.import_module(f"replicaquant.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"replicaquant.commands.{name}":
                continue  # subcommand not shipped in this version
            raise
        mod.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        sys.stderr.write(f"replicaquant: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("replicaquant: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
