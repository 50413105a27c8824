"""Entry point of the ``spike`` command: one subcommand per module in :mod:`spike_cli.commands`.

Each command module defines ``NAME`` (the subcommand), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. ``main(argv)`` returns the exit status so tests
call it in-process.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from spike_cli import __version__, commands

__all__ = ["CommandError", "build_parser", "main"]


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def _command_modules() -> list[object]:
    infos = sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name)
    return [
        importlib.import_module(f"spike_cli.commands.{i.name}")
        for i in infos
        if not i.name.startswith("_")
    ]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="spike", description="The Spike SNN toolkit.")
    parser.add_argument("--version", action="version", version=f"spike {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)  # type: ignore[attr-defined]
        mod.add_arguments(p)  # type: ignore[attr-defined]
        p.set_defaults(_run=mod.run)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``spike`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except (CommandError, ValueError, TypeError, FileNotFoundError) as exc:
        print(f"spike {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"spike {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
