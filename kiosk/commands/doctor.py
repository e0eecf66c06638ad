"""`kiosk doctor [--json]`: the same checks as the maintenance screen, from a shell."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk import config as kiosk_config
from kiosk.doctor import exit_code, run_checks

SYMBOLS = {"ok": "OK  ", "info": "INFO", "warn": "WARN", "fail": "FAIL"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check the kiosk's configuration, devices and network")
    parser.add_argument("--config", help="configuration file (else $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    parser.add_argument("--json", action="store_true", help="one JSON document for fleet tools")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        config, error = kiosk_config.load(args.config), None
    except kiosk_config.ConfigError as exc:
        config, error = None, exc
    findings = run_checks(config, error)
    code = exit_code(findings)
    if args.json:
        json.dump({"ok": code == 0, "findings": [f.as_dict() for f in findings]}, sys.stdout,
                  ensure_ascii=False, indent=2)
        print()
        return code
    for finding in findings:
        print(f"{SYMBOLS.get(finding.status, finding.status)}  {finding.check}: {finding.detail}")
        if finding.action:
            print(f"      -> {finding.action}")
    return code
