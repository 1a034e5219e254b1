"""The ``kneesight`` command line.

Each command lives in :mod:`kneesight.commands` as a module with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from kneesight import __version__
from kneesight.errors import KneesightError

COMMANDS: tuple[str, ...] = (
    "analyze",
    "demo",
    "export",
    "summarize",
    "phantom",
    "record",
    "info",
)
"""Command modules under ``kneesight.commands``, in ``--help`` order."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="kneesight",
        description="Depth-camera 3D biomechanics of jump landings (knee valgus screening).",
    )
    parser.add_argument("--version", action="version", version=f"kneesight {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        mod = importlib.import_module(f"kneesight.commands.{name}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kneesight`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KneesightError as e:
        print(f"kneesight {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kneesight {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
