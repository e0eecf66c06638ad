"""`kiosk queue status|list|retry ID|export`: the outbox for technicians.

Everything here works on a running kiosk's outbox without stopping it
(reads go through SQLite's WAL; `retry` is one small transaction), and
nothing here can print a citizen's data: the outbox holds none in clear.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from kiosk import config as kiosk_config
from offline_queue.outbox import Outbox

STATUSES = ("pending", "in_flight", "delivered", "dead")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("queue", help="inspect and repair the offline submission queue")
    parser.add_argument("--config", help="configuration file (else $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    actions = parser.add_subparsers(dest="queue_action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="counts, oldest waiting entry, disk use")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    listing = actions.add_parser("list", help="entries oldest first (metadata only)")
    listing.add_argument("--status", choices=STATUSES, help="only entries in this state")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    retry = actions.add_parser("retry", help="send a dead letter again (by local ref or number)")
    retry.add_argument("id", metavar="ID", help="local reference (K7-2611-0042) or row number")
    export = actions.add_parser("export", help="sealed entries + metadata as JSON lines")
    export.add_argument("--status", choices=STATUSES, help="only entries in this state")
    export.add_argument("--out", help="write to this file instead of standard output")
    export.add_argument("--json", action="store_true", help="accepted for symmetry; always JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    config = kiosk_config.load(args.config)
    outbox = Outbox.from_config(config, writer=False)
    try:
        if args.queue_action == "status":
            return show_status(outbox, args.json, sys.stdout)
        if args.queue_action == "list":
            return show_list(outbox, args.status, args.limit, args.json, sys.stdout)
        if args.queue_action == "retry":
            return retry_entry(outbox, args.id, sys.stdout)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as out:
                count = export(outbox, args.status, out)
            print(f"exported {count} entries to {args.out}", file=sys.stderr)
            return 0
        export(outbox, args.status, sys.stdout)
        return 0
    finally:
        outbox.close()


def show_status(outbox: Outbox, as_json: bool, out: TextIO) -> int:
    stats = outbox.stats()
    if as_json:
        out.write(json.dumps(stats, sort_keys=True) + "\n")
        return 0
    oldest = stats["oldest_pending_age_s"]
    age = "none waiting" if oldest is None else f"oldest waiting {_age(oldest)}"
    out.write(f"waiting to be sent: {stats['pending']} ({age})\n"
              f"dead letters:       {stats['dead']}"
              f"{'  -> kiosk queue list --status dead' if stats['dead'] else ''}\n"
              # Kept for keep_delivered_days, or (with 0) waiting for the batched purge.
              f"delivered, on disk: {stats['delivered_kept']}\n"
              f"database:           {stats['db_bytes'] // 1024} KiB, "
              f"WAL {stats['wal_bytes'] // 1024} KiB, {stats['free_mb']} MiB free\n")
    return 0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def show_list(outbox: Outbox, status: str | None, limit: int, as_json: bool,
              out: TextIO) -> int:
    entries = outbox.entries(status, limit)
    if as_json:
        for entry in entries:
            out.write(json.dumps(entry.as_dict(), sort_keys=True) + "\n")
        return 0
    out.write(f"{'#':>6}  {'local ref':<14} {'status':<9} {'tries':>5}  {'created (UTC)':<20} "
              f"{'service':<28} last error / portal ref\n")
    for e in entries:
        note = e.portal_ref or (f"{e.last_error_code}: {e.last_error_reason}"
                                if e.last_error_code else "")
        out.write(f"{e.id:>6}  {e.local_ref:<14} {e.status:<9} {e.attempts:>5}  "
                  f"{e.created_at:<20} {e.service_id[:28]:<28} {note}\n")
    if not entries:
        out.write("(no entries)\n")
    return 0


def retry_entry(outbox: Outbox, ref_or_id: str, out: TextIO) -> int:
    """Put a dead letter back in line; the running kiosk's forwarder picks it up."""
    entry = outbox.retry(ref_or_id)
    if entry is None:
        current = outbox.get(ref_or_id)
        why = "no such entry" if current is None else f"it is {current.status}, not dead"
        print(f"kiosk queue: cannot retry {ref_or_id}: {why}", file=sys.stderr)
        return 1
    out.write(f"{entry.local_ref} is waiting to be sent again "
              f"(last refusal: {entry.last_error_code}: {entry.last_error_reason})\n")
    return 0


def export(outbox: Outbox, status: str | None, out: TextIO) -> int:
    """JSON lines with the sealed payload: a technician can carry a dead kiosk's queue away."""
    count = 0
    for entry in outbox.entries(status, None, with_sealed=True):
        record: dict[str, Any] = entry.as_dict(with_sealed=True)
        out.write(json.dumps(record, sort_keys=True) + "\n")
        count += 1
    return count
