"""kiosk.migrations in-process: a new schema step runs once, with a copy taken; a failing one is undone."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from devices.receipt import example_receipt
from kiosk.audit import AuditLog
from kiosk.cli import main
from kiosk.migrations import STORAGE_FORMAT, MigrationError, migrate_storage
from kiosk.receipt_journal import ReceiptJournal
from kiosk.sealing import write_keypair
from kiosk.store_schema import SchemaTooNew
from offline_queue import schema
from offline_queue.outbox import Outbox
from tests.released_stores import rows_of, schema_of, write_schema_0_audit, write_schema_0_journal


def queue(storage: Path, tmp_path: Path, count: int = 3) -> list[str]:
    public = write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")
    outbox = Outbox(storage, kiosk_id="test-kiosk", portal_public_key=public)
    refs = [outbox.enqueue({"service_id": "letter-to-agency", "personal_number": f"0100500{n:04d}",
                            "language": "ka", "values": {"n": n}}).local_ref for n in range(count)]
    outbox.close()
    return refs


def outbox_rows(storage: Path) -> tuple[int, list[tuple]]:
    conn = sqlite3.connect(storage / "outbox.sqlite3")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        return version, conn.execute("SELECT local_ref, status, sealed FROM entries ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_new_step_runs_once_after_a_copy_is_taken(tmp_path: Path, monkeypatch) -> None:
    storage = tmp_path / "kiosk"
    queue(storage, tmp_path)
    _, rows_before = outbox_rows(storage)
    ran: list[int] = []

    def v_next(db) -> None:
        ran.append(1)
        db.execute("ALTER TABLE entries ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")

    released = len(schema.MIGRATIONS)  # the outbox's version today
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v_next])
    report = migrate_storage(storage)
    again = migrate_storage(storage)
    assert ran == [1], "a step runs exactly once"
    outbox = {s.name: s for s in report.stores}["outbox"]
    assert (outbox.status, outbox.version_before, outbox.version_after) == (
        "migrated", released, released + 1)
    assert {s.name: s.status for s in again.stores}["outbox"] == "current" and again.backup is None
    version, rows_after = outbox_rows(storage)
    assert version == released + 1 and rows_after == rows_before
    copy = Path(report.backup) / "outbox.sqlite3"
    assert copy.stat().st_mode & 0o777 == 0o600 and (copy.parent.parent.stat().st_mode & 0o777) == 0o700
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == released
    assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == len(rows_before)
    conn.close()
    recorded = json.loads((storage / "storage-format.json").read_text())
    assert recorded["storage_format"] == STORAGE_FORMAT and recorded["stores"]["outbox"] == released + 1


def test_a_failing_step_leaves_every_store_as_it_was(tmp_path: Path, monkeypatch) -> None:
    storage = tmp_path / "kiosk"
    queue(storage, tmp_path)
    ReceiptJournal(storage).close()
    before = outbox_rows(storage)

    def v_next(db) -> None:
        db.execute("ALTER TABLE entries ADD COLUMN priority INTEGER")
        raise RuntimeError("bug in step 2")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v_next])
    with pytest.raises(MigrationError, match="bug in step 2"):
        migrate_storage(storage)
    assert outbox_rows(storage) == before
    assert not (storage / "storage-format.json").exists()


def test_a_running_kiosk_is_never_migrated_under_its_feet(tmp_path: Path) -> None:
    storage = tmp_path / "kiosk"
    public = write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")
    running = Outbox(storage, kiosk_id="test-kiosk", portal_public_key=public)  # holds the writer lock
    try:
        with pytest.raises(MigrationError, match="systemctl stop kiosk"):
            migrate_storage(storage)
    finally:
        running.close()
    migrate_storage(storage)


def test_storage_laid_out_by_a_newer_release_is_refused(tmp_path: Path) -> None:
    storage = tmp_path / "kiosk"
    storage.mkdir()
    (storage / "storage-format.json").write_text(json.dumps({"storage_format": STORAGE_FORMAT + 1}))
    with pytest.raises(MigrationError, match="newer release"):
        migrate_storage(storage)


def test_kiosk_migrate_command_reports_each_store(tmp_path: Path, capsys) -> None:
    storage = tmp_path / "kiosk"
    queue(storage, tmp_path)
    write_schema_0_journal(storage, [example_receipt("ka")])
    # A configuration with a broken key elsewhere still names the storage to migrate.
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[storage]\ndir = "{storage}"\n[printer]\nconnection = "lpt1"\n')
    assert main(["migrate", "--config", str(config), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    stores = {s["name"]: (s["status"], s["version_before"], s["version_after"]) for s in report["stores"]}
    current = len(schema.MIGRATIONS)
    assert stores == {"outbox": ("current", current, current), "receipt_journal": ("migrated", 0, 1),
                      "audit_log": ("absent", None, None)}
    assert "printer.connection" in captured.err
    assert main(["migrate", "--storage-dir", str(storage)]) == 0
    assert re.search(r"receipt_journal +current \(schema 1 -> 1\)", capsys.readouterr().out)
    assert main(["migrate", "--storage-dir", str(tmp_path / "missing")]) == 1


def test_version_1_of_the_journal_and_the_audit_log_is_the_released_tables_exactly(
        tmp_path: Path) -> None:
    ReceiptJournal(tmp_path / "new").close()
    AuditLog(tmp_path / "new").close()
    write_schema_0_journal(tmp_path / "old", [example_receipt("ka")])
    write_schema_0_audit(tmp_path / "old", ["maintenance.open"])
    for name in ("receipts.db", "audit.sqlite3"):
        new_version, new_tables = schema_of(tmp_path / "new" / name)
        old_version, old_tables = schema_of(tmp_path / "old" / name)
        assert (new_version, old_version) == (1, 0), name
        assert new_tables == old_tables, name


def test_stores_written_by_the_released_code_are_adopted_as_version_1_unchanged(tmp_path: Path) -> None:
    storage = tmp_path / "kiosk"
    receipts = [example_receipt("ka"), example_receipt("en")]
    ids = write_schema_0_journal(storage, receipts)
    write_schema_0_audit(storage, ["maintenance.open", "receipt.reprint", "maintenance.leave"])
    files = {"receipt_journal": storage / "receipts.db", "audit_log": storage / "audit.sqlite3"}
    tables = {"receipt_journal": "receipts", "audit_log": "audit"}
    before = {name: (schema_of(path)[1], rows_of(path, tables[name])) for name, path in files.items()}

    report = migrate_storage(storage)

    results = {s.name: (s.status, s.version_before, s.version_after) for s in report.stores}
    assert results == {"outbox": ("absent", None, None), "receipt_journal": ("migrated", 0, 1),
                       "audit_log": ("migrated", 0, 1)}
    for name, path in files.items():
        assert schema_of(path) == (1, before[name][0]), name
        assert rows_of(path, tables[name]) == before[name][1], name
        assert schema_of(Path(report.backup) / path.name)[0] == 0, "the copy is the data as it was"
    with ReceiptJournal(storage) as journal:
        assert [journal.load(i) for i in ids] == receipts
        assert [e.id for e in journal.failed()] == [ids[0]]
    with AuditLog(storage) as log:
        verdict = log.verify()
        assert verdict.ok and verdict.count == 3, verdict
        log.append("maintenance.open")  # the chain goes on from the adopted entries
        assert log.verify().ok and log.verify().count == 4
    again = migrate_storage(storage)
    assert {s.name: s.status for s in again.stores}["audit_log"] == "current" and again.backup is None


def test_a_table_that_is_not_the_released_one_is_never_stamped(tmp_path: Path) -> None:
    storage = tmp_path / "kiosk"
    storage.mkdir()
    conn = sqlite3.connect(storage / "audit.sqlite3")
    conn.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY, line TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(MigrationError, match="columns"):
        migrate_storage(storage)
    assert schema_of(storage / "audit.sqlite3")[0] == 0


def test_a_journal_or_audit_log_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    for store, name in ((ReceiptJournal, "receipts.db"), (AuditLog, "audit.sqlite3")):
        folder = tmp_path / name
        store(folder).close()
        conn = sqlite3.connect(folder / name)
        conn.execute("PRAGMA user_version = 2")
        conn.close()
        with pytest.raises(SchemaTooNew, match="newer release"):
            store(folder)
        with pytest.raises(MigrationError, match="newer release"):
            migrate_storage(folder)
