"""Bring every store in the kiosk's storage directory forward to this release.

A kiosk is upgraded in the field with its data in place: submissions still
waiting in the outbox, the receipt journal, the audit log. Each store owns
its schema and its forward-only migrations (the outbox's are in
`offline_queue.schema`); this module is the one entry point the installer
calls (`kiosk migrate`) between "new release built" and "new release
switched on", so no store is ever opened by code newer than its schema
without having been migrated first, and an upgrade that cannot migrate is
stopped before the new release runs.

The contract a store module offers (see `STORES`): a database file name
constant, a ``MIGRATIONS`` list and ``migrate(db: sqlite_utils.Database) ->
int`` that runs the steps not yet run (recorded in ``PRAGMA user_version``)
and returns the version reached; `kiosk.store_schema` runs them for the
stores under ``kiosk/``. Every store of this release has one. A store that
is not there yet is skipped: it is created at the newest schema when the
kiosk first uses it. A store module without ``migrate`` (a store added
without a schema) is checked (``PRAGMA integrity_check``) and reported as
unversioned, never silently called migrated.

Safety, in order:
  * the outbox's writer lock is taken, so a running kiosk is never migrated
    under its feet (the installer stops the service first);
  * before any step runs, every store that will change is copied with
    SQLite's online backup into ``backups/<time>/``;
  * if any step fails, every store migrated in this run is restored from
    that copy, so the previous release can start again on the data it knows.

The storage directory's layout itself has a version (`STORAGE_FORMAT`),
written to ``storage-format.json`` with the versions each store reached: a
technician or a fleet tool can read what a kiosk's data is at without
opening a database, and an older release refuses a directory laid out by a
newer one instead of guessing.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlite_utils

from kiosk import __version__
from kiosk.logs import event

log = logging.getLogger("kiosk.migrations")

# Bump when files in the storage directory are renamed, moved or split; a
# change inside one database is that store's own migration, not this.
STORAGE_FORMAT = 1
FORMAT_FILE = "storage-format.json"
BACKUP_DIR = "backups"
KEEP_BACKUPS = 3


class MigrationError(RuntimeError):
    """The storage cannot be brought forward; nothing was left half-migrated."""


@dataclass(frozen=True)
class Store:
    """Where a store's module is and how it names its database file."""

    name: str
    module: str
    file_attrs: tuple[str, ...]  # constants naming the file, first found wins
    default_file: str  # used when the module is not installed (yet)


# The outbox first: it holds what must never be lost (citizens' submissions).
STORES: tuple[Store, ...] = (
    Store("outbox", "offline_queue.outbox", ("DB_FILE",), "outbox.sqlite3"),
    Store("receipt_journal", "kiosk.receipt_journal", ("DB_NAME", "DB_FILE"), "receipts.db"),
    Store("audit_log", "kiosk.audit", ("DB_NAME", "DB_FILE"), "audit.sqlite3"),
)

# A store's migration function: the outbox's lives beside its schema, not in outbox.py.
_MIGRATE_MODULES = {"offline_queue.outbox": "offline_queue.schema"}


@dataclass(frozen=True)
class StoreResult:
    name: str
    file: str
    status: str  # absent | current | migrated | unversioned
    version_before: int | None = None
    version_after: int | None = None


@dataclass(frozen=True)
class MigrationReport:
    storage_dir: str
    storage_format: int
    release: str
    stores: tuple[StoreResult, ...]
    backup: str | None = None

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["stores"] = [asdict(s) for s in self.stores]
        return data


def _import(name: str) -> object | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None  # the store's module is not part of this release (yet)
        raise


def _resolve(store: Store) -> tuple[str, Callable[[sqlite_utils.Database], int] | None]:
    """The store's file name and its migrate function (None: no versioned schema yet)."""
    module = _import(store.module)
    file_name = store.default_file
    if module is not None:
        for attr in store.file_attrs:
            if isinstance(getattr(module, attr, None), str):
                file_name = getattr(module, attr)
                break
    migrate_module = _import(_MIGRATE_MODULES.get(store.module, store.module))
    migrate = getattr(migrate_module, "migrate", None) if migrate_module is not None else None
    return file_name, migrate if callable(migrate) else None


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _latest_version(migrate_module_name: str) -> int | None:
    module = _import(migrate_module_name)
    migrations = getattr(module, "MIGRATIONS", None)
    return len(migrations) if isinstance(migrations, list | tuple) else None


def read_format(storage_dir: str | os.PathLike[str]) -> dict[str, object] | None:
    """The recorded storage format, or None when the directory has none yet."""
    path = Path(storage_dir) / FORMAT_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise MigrationError(f"{path} cannot be read ({exc}); move it aside and run kiosk migrate") from None


def _write_format(storage_dir: Path, report: MigrationReport) -> None:
    data = {"storage_format": STORAGE_FORMAT, "release": report.release,
            "migrated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "stores": {s.name: s.version_after for s in report.stores if s.status != "absent"}}
    tmp = storage_dir / (FORMAT_FILE + ".tmp")
    # Write, fsync, rename: after a power cut the file is the old one or the new one.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, storage_dir / FORMAT_FILE)
    dir_fd = os.open(storage_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def _writer_lock(storage_dir: Path) -> Iterator[None]:
    """The outbox's writer lock: held by a running kiosk, so we never migrate under it."""
    from offline_queue.outbox import LOCK_FILE

    fd = os.open(storage_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MigrationError(
                f"a kiosk process is using {storage_dir}; stop it first (systemctl stop kiosk)") from None
        yield
    finally:
        os.close(fd)


def _backup(paths: dict[str, Path], backup_root: Path) -> Path:
    """Consistent copies (SQLite online backup reads through the WAL) of the given stores."""
    target = backup_root / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    while target.exists():  # two runs in one second: never mix their copies
        target = target.with_name(target.name + "-1")
    backup_root.mkdir(mode=0o700, exist_ok=True)  # mkdir(parents=True) would leave it 0755
    target.mkdir(mode=0o700)
    # The record of what each store was at goes with them: a rollback after the
    # switch (deploy/install.sh) puts back the data and what it says about it.
    recorded = backup_root.parent / FORMAT_FILE
    if recorded.exists():
        shutil.copyfile(recorded, target / FORMAT_FILE)
        os.chmod(target / FORMAT_FILE, 0o600)
    for name, path in paths.items():
        source = sqlite3.connect(path)
        copy_path = target / path.name
        fd = os.open(copy_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        event(log, "store backed up", store=name, copy=str(copy_path))
    return target


def _restore(paths: dict[str, Path], backup: Path) -> None:
    for name, path in paths.items():
        # The stale WAL and shared-memory files belong to the failed state: a WAL
        # left beside the restored file would be replayed onto it.
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(path) + suffix).unlink()
        tmp = path.with_name(path.name + ".restore")
        shutil.copyfile(backup / path.name, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        event(log, "store restored after a failed migration", store=name, source=str(backup))


def _prune_backups(backup_root: Path, keep: int = KEEP_BACKUPS) -> None:
    if not backup_root.is_dir():
        return
    runs = sorted(p for p in backup_root.iterdir() if p.is_dir())
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _give_to_owner(storage_dir: Path) -> None:
    """Run as root (by the installer), hand what we created back to the dir's owner.

    A root-owned WAL, backup or format file in /var/lib/kiosk would stop the
    kiosk (user kiosk) from opening its own stores.
    """
    if os.geteuid() != 0:
        return
    owner = storage_dir.stat()
    for root, dirs, files in os.walk(storage_dir):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                continue
            st = path.lstat()
            if (st.st_uid, st.st_gid) != (owner.st_uid, owner.st_gid):
                os.chown(path, owner.st_uid, owner.st_gid)


def migrate_storage(storage_dir: str | os.PathLike[str]) -> MigrationReport:
    """Migrate every store in ``storage_dir``; on any failure restore them and raise MigrationError."""
    directory = Path(storage_dir)
    if not directory.is_dir():
        raise MigrationError(f"the storage directory {directory} does not exist")
    recorded = read_format(directory)
    if recorded is not None and int(recorded.get("storage_format", 0)) > STORAGE_FORMAT:  # type: ignore[call-overload]
        raise MigrationError(
            f"{directory} is laid out by a newer release (storage format {recorded['storage_format']}, "
            f"this release knows {STORAGE_FORMAT}); install that release again")
    with _writer_lock(directory):
        plan: list[tuple[Store, Path, Callable[[sqlite_utils.Database], int] | None]] = []
        for store in STORES:
            file_name, migrate = _resolve(store)
            plan.append((store, directory / file_name, migrate))
        to_change: dict[str, Path] = {}
        for store, path, migrate in plan:
            if not path.exists() or migrate is None:
                continue
            latest = _latest_version(_MIGRATE_MODULES.get(store.module, store.module))
            if latest is None or _user_version(path) != latest:
                to_change[store.name] = path
        backup = _backup(to_change, directory / BACKUP_DIR) if to_change else None
        results: list[StoreResult] = []
        try:
            for store, path, migrate in plan:
                results.append(_migrate_one(store, path, migrate))
        except Exception as exc:
            if backup is not None:
                _restore(to_change, backup)
            _give_to_owner(directory)
            raise MigrationError(f"migrating the {store.name} ({path}) failed: {exc}; "
                                 "every store was restored as it was before") from exc
        report = MigrationReport(str(directory), STORAGE_FORMAT, __version__, tuple(results),
                                 str(backup) if backup else None)
        _write_format(directory, report)
        _prune_backups(directory / BACKUP_DIR)
        _give_to_owner(directory)
    for result in results:
        event(log, "store checked", store=result.name, status=result.status,
              before=result.version_before, after=result.version_after)
    return report


def _migrate_one(store: Store, path: Path, migrate: Callable[[sqlite_utils.Database], int] | None
                 ) -> StoreResult:
    if not path.exists():
        return StoreResult(store.name, path.name, "absent")
    before = _user_version(path)
    conn = sqlite3.connect(path, timeout=10.0)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        if migrate is None:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise MigrationError(f"integrity check: {check}")
            return StoreResult(store.name, path.name, "unversioned", before, before)
        after = int(migrate(sqlite_utils.Database(conn)))
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise MigrationError(f"integrity check after migrating: {check}")
    finally:
        conn.close()
    return StoreResult(store.name, path.name, "migrated" if after != before else "current", before, after)
