"""The `kiosk` command line.

Each subcommand lives in its own module under `kiosk/commands/` and adds
itself with ``register(subparsers)``; the handler it sets returns the exit
code. So a part of the kiosk brings its own command without editing this
file, and every command is a thin wrapper over functions that tests call
directly (as sqlite-utils does).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from kiosk import __version__, commands
from kiosk.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Self-service kiosk for Georgia's justice houses.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kiosk.commands.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from kiosk.logs import setup_logging

    setup_logging(getattr(args, "verbose", False), to_stdout=getattr(args, "logs_to_stdout", False))
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 78  # EX_CONFIG: systemd and technicians can tell it from a crash
    except KeyboardInterrupt:
        return 130
    except Exception:
        logging.getLogger("kiosk").exception("command %s failed", args.command)
        return 1
