"""`kiosk audit verify|list`: check and read the maintenance audit log.

`verify` exits 1 and names the first broken entry when an entry was
edited, deleted, moved or cut off the end, so a fleet tool can run it over
SSH and alert on the exit code alone. Both work beside a running kiosk
(SQLite WAL readers do not block the writer).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from kiosk import config as kiosk_config
from kiosk.audit import AuditLog


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="verify and list the maintenance audit log")
    parser.add_argument("--config", help="configuration file (else $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="check the hash chain; exit 1 if it is broken")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    listing = actions.add_parser("list", help="entries, newest first")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    for sub in (verify, listing):  # also accepted after the action, where technicians type it
        sub.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    config = kiosk_config.load(args.config)
    with AuditLog.from_config(config) as log:
        if args.audit_action == "verify":
            return verify(log, args.json, sys.stdout)
        return show_list(log, args.limit, args.json, sys.stdout)


def verify(log: AuditLog, as_json: bool, out: TextIO) -> int:
    result = log.verify()
    if as_json:
        out.write(json.dumps(result.as_dict(), sort_keys=True) + "\n")
    elif result.ok:
        out.write(f"audit log intact: {result.count} entries\n")
    else:
        out.write(f"AUDIT LOG BROKEN at entry {result.first_broken_seq}: {result.reason} "
                  f"({result.count} entries check out before it)\n")
    return 0 if result.ok else 1


def show_list(log: AuditLog, limit: int, as_json: bool, out: TextIO) -> int:
    for entry in log.entries(limit, newest_first=True):
        if as_json:
            out.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
        else:
            details = " ".join(f"{k}={v}" for k, v in sorted(entry["details"].items()))
            out.write(f"{entry['seq']:>6}  {entry['time']}  {entry['actor']:10}  {entry['action']:18}  "
                      f"{details}\n")
    return 0
