"""`kiosk migrate [--config PATH] [--storage-dir DIR] [--json]`: bring the stored data forward.

The installer runs it with the NEW release's program, the service stopped,
before it switches the release on (docs/deploying.md). It is safe to run
again at any time: stores already at the newest schema are left as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from kiosk import config as kiosk_config
from kiosk.migrations import MigrationError, migrate_storage


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="migrate the queue, receipt journal and audit log forward")
    parser.add_argument("--config", help="configuration file (else $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    parser.add_argument("--storage-dir",
                        help="the storage directory (else storage.dir from the configuration)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=handle)


def storage_dir_from(config_path: str | None) -> str:
    """storage.dir, even from a configuration that is otherwise invalid.

    An upgrade must not strand queued submissions because, say, a printer
    key is misspelt: the data is migrated, and `kiosk doctor` reports the
    configuration. Only an unreadable file falls back to the default.
    """
    try:
        return kiosk_config.load(config_path).storage.dir
    except kiosk_config.ConfigError as exc:
        path = Path(exc.source) if exc.source else kiosk_config.DEFAULT_PATH
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8")).get("storage", {}).get("dir")
        except (OSError, ValueError, AttributeError):
            raw = None
        chosen = raw if isinstance(raw, str) and raw.strip() else kiosk_config.StorageSection().dir
        print(f"kiosk migrate: the configuration is not valid ({'; '.join(exc.problems)}); "
              f"migrating {chosen} anyway", file=sys.stderr)
        return chosen


def handle(args: argparse.Namespace) -> int:
    storage_dir = args.storage_dir or storage_dir_from(args.config)
    try:
        report = migrate_storage(storage_dir)
    except MigrationError as exc:
        print(f"kiosk migrate: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        print()
        return 0
    print(f"Storage {report.storage_dir}: format {report.storage_format}, release {report.release}")
    for store in report.stores:
        versions = ("" if store.status == "absent"
                    else f" (schema {store.version_before} -> {store.version_after})")
        print(f"  {store.name:16} {store.status}{versions}")
    if report.backup:
        print(f"  copies taken before migrating: {report.backup}")
    return 0
