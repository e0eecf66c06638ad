"""`python -m screens`: the kiosk window on its own, for development and the UI tests.

`kiosk run` and `kiosk demo` wire the real devices into the controller and
call `screens.app.run`; this entry point instead builds the controller
with a factory named on the command line (``module:callable`` taking the
Config), so the tests can run the real window against a controller whose
card and clock they control.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from kiosk.config import ConfigError, load
from kiosk.logs import setup_logging


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m screens", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="kiosk.toml (default: $KIOSK_CONFIG or /etc/kiosk/kiosk.toml)")
    parser.add_argument("--automation-socket", metavar="PATH",
                        help="listen for UI automation commands on this Unix socket (created 0600)")
    parser.add_argument("--controller-factory", default="kiosk.controller:KioskController",
                        metavar="MODULE:CALLABLE", help="builds the controller from the Config")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose)
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"screens: {exc}", file=sys.stderr)
        return 78
    module_name, _, attribute = args.controller_factory.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    controller = factory(config)

    from screens.boot import prepare_kivy

    prepare_kivy(config)  # before anything imports kivy.core.window
    from screens.app import run

    return run(controller, args.automation_socket)


if __name__ == "__main__":
    raise SystemExit(main())
