"""Upgrading a kiosk in place: nothing lost, the old queue delivered exactly once, failures roll back.

An "old release" (the same code as version 0.0.9) is installed for real
into a DESTDIR, its storage filled the way a kiosk in service fills it, and
the current tree installed over it with deploy/install.sh, which builds the
new release beside the old one, runs its `kiosk migrate` and smoke test,
and only then moves `current`.
"""

from __future__ import annotations

import collections
import inspect
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devices.receipt import example_receipt
from kiosk import __version__
from kiosk.audit import AuditLog
from kiosk.portal.client import PortalClient
from kiosk.receipt_journal import ReceiptJournal
from kiosk.sealing import load_public_key
from offline_queue import schema
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox
from tests.deploy_support import (
    copy_install,
    current_release,
    fake_systemd,
    manifest,
    release_shared_installs,
    run_install,
    shared_install,
    source_tree,
    systemctl_calls,
    wheelhouse,
)
from tests.released_stores import (
    rows_of,
    schema_of,
    write_schema_0_audit,
    write_schema_0_journal,
    write_schema_1_outbox,
)

pytestmark = pytest.mark.slow

OLD_VERSION = "0.0.9"
STORAGE = "var/lib/kiosk"


@pytest.fixture(scope="module")
def old_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(destdir, wheelhouse) of the old release, installed once per run for every worker."""
    dest = shared_install(tmp_path_factory, "old", version=OLD_VERSION)
    assert current_release(dest).startswith(OLD_VERSION + "-")
    return dest, wheelhouse(tmp_path_factory)


@pytest.fixture(scope="session", autouse=True)
def _shared_installs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield
    release_shared_installs(tmp_path_factory)


@pytest.fixture
def kiosk_root(old_install, tmp_path: Path) -> Iterator[Path]:
    """A kiosk running the old release: a copy of the installed tree, this test's own."""
    dest = copy_install(old_install[0], tmp_path / "root")
    yield dest
    shutil.rmtree(dest, ignore_errors=True)


def request(n: int) -> dict:
    return {"service_id": "letter-to-agency", "personal_number": f"0100400{n:04d}", "language": "ka",
            "values": {"subject": f"letter {n}", "body": "ტექსტი"}}


def fill_with_oldest_schema(storage: Path, public_key_path: Path, count: int) -> list[str]:
    """Entries queued by a release that knew only the first schema version."""
    entries = [request(n) for n in range(count)]
    refs = write_schema_1_outbox(storage, entries, load_public_key(public_key_path))
    conn = sqlite3.connect(storage / "outbox.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    return refs


def wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_upgrade_keeps_everything_and_the_old_queue_arrives_exactly_once(
        kiosk_root: Path, old_install, sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = kiosk_root / STORAGE
    old_release = current_release(kiosk_root)
    config = kiosk_root / "etc/kiosk/kiosk.toml"
    config.write_text(config.read_text().replace('id = "tbilisi-01"', 'id = "test-kiosk"'))
    configured = config.read_bytes()
    refs = fill_with_oldest_schema(storage, sim.public_key_path, 5)
    receipt = example_receipt("ka")
    with ReceiptJournal(storage) as journal:
        receipt_id = journal.add(receipt)
    with AuditLog(storage) as audit:
        audit.append("kiosk.upgrade_test", release=OLD_VERSION)

    result = run_install(source_tree(tmp_path / "new-src"), kiosk_root, old_install[1])

    new_release = current_release(kiosk_root)
    assert new_release.startswith(__version__ + "-") and new_release != old_release
    assert (kiosk_root / "opt/kiosk/releases" / old_release / ".complete").exists(), "kept for going back"
    assert config.read_bytes() == configured
    assert "migrating the stored data with the new release" in result.stdout
    recorded = (storage / "storage-format.json").read_text()
    assert f'"outbox": {len(schema.MIGRATIONS)}' in recorded and f'"release": "{__version__}"' in recorded
    with ReceiptJournal(storage) as journal:
        assert journal.load(receipt_id) == receipt
    with AuditLog(storage) as audit:
        verdict = audit.verify()
        assert verdict.ok and verdict.count == 1, verdict

    assert deliver_all(storage, sim, pending=5) == dict.fromkeys(refs, 1)


def deliver_all(storage: Path, sim, pending: int) -> collections.Counter:
    """Run the forwarder on the upgraded queue, twice; how often each local_ref reached the portal."""
    outbox = Outbox(storage, kiosk_id="test-kiosk", portal_public_key=load_public_key(sim.public_key_path))
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id="test-kiosk")
    try:
        assert outbox.stats()["pending"] == pending
        for _ in range(2):  # a second forwarder run (a restart) must send nothing again
            forwarder = Forwarder(outbox, client, base_delay_s=0.05).start()
            assert wait_for(lambda: outbox.stats()["pending"] == 0)
            forwarder.stop()
    finally:
        outbox.close()
        client.close()
    items = requests.get(sim.url + "/_sim/transactions", timeout=5).json()["items"]
    return collections.Counter(item["local_ref"] for item in items)


def _assert_old_release_untouched(kiosk_root: Path, old_release: str, before: tuple) -> None:
    assert current_release(kiosk_root) == old_release
    assert [p.name for p in (kiosk_root / "opt/kiosk/releases").iterdir()] == [old_release]
    assert manifest(kiosk_root) == before
    # The path kiosk.service starts still leads to the old release.
    assert (kiosk_root / "opt/kiosk/venv").readlink() == Path("current/venv")
    assert (kiosk_root / "opt/kiosk/venv/bin/kiosk").exists()


def test_a_release_that_does_not_import_is_never_switched_on(kiosk_root: Path, old_install,
                                                             tmp_path: Path) -> None:
    old_release, before = current_release(kiosk_root), manifest(kiosk_root)
    broken = source_tree(tmp_path / "broken-src")
    forwarder = broken / "offline_queue" / "forwarder.py"
    forwarder.write_text(forwarder.read_text() + "\nraise RuntimeError('a broken release')\n")
    result = run_install(broken, kiosk_root, old_install[1], check=False)
    assert result.returncode != 0
    assert "nothing was switched" in result.stderr, result.stderr[-2000:]
    _assert_old_release_untouched(kiosk_root, old_release, before)


def test_a_release_whose_dependencies_cannot_be_installed_is_never_switched_on(
        kiosk_root: Path, old_install, tmp_path: Path) -> None:
    old_release, before = current_release(kiosk_root), manifest(kiosk_root)
    broken = source_tree(tmp_path / "broken-src")
    pyproject = broken / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        "dependencies = [", 'dependencies = [\n    "kiosk-dependency-that-does-not-exist>=1",', 1))
    result = run_install(broken, kiosk_root, old_install[1], check=False)
    assert result.returncode != 0
    assert "kiosk-dependency-that-does-not-exist" in result.stderr
    _assert_old_release_untouched(kiosk_root, old_release, before)


def test_a_failing_migration_restores_the_data_and_keeps_the_old_release(
        kiosk_root: Path, old_install, sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = kiosk_root / STORAGE
    old_release, before = current_release(kiosk_root), manifest(kiosk_root)
    refs = fill_with_oldest_schema(storage, sim.public_key_path, 3)
    broken = source_tree(tmp_path / "broken-src")
    (broken / "offline_queue" / "schema.py").write_text(
        (broken / "offline_queue" / "schema.py").read_text() + '''

def _v2_with_a_bug(db):
    db.execute("ALTER TABLE entries ADD COLUMN priority INTEGER")
    raise RuntimeError("a bug in the new migration")


MIGRATIONS.append(_v2_with_a_bug)
''')
    result = run_install(broken, kiosk_root, old_install[1], check=False)
    assert result.returncode != 0
    assert "a bug in the new migration" in result.stderr and "restored" in result.stderr
    _assert_old_release_untouched(kiosk_root, old_release, before)
    conn = sqlite3.connect(storage / "outbox.sqlite3")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [row[1] for row in conn.execute("PRAGMA table_info(entries)")]
        assert "priority" not in columns
        rows = conn.execute("SELECT local_ref, status FROM entries ORDER BY id").fetchall()
        assert rows == [(ref, "pending") for ref in refs]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# ------------------------------------------------ from older schemas, and back
def _new_step_priority(db) -> None:
    """The outbox step the "new release" below brings: a real schema change under queued entries."""
    db.execute("ALTER TABLE entries ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
    db["entries"].create_index(["priority", "id"])


NEW_OUTBOX_VERSION = len(schema.MIGRATIONS) + 1  # this tree's steps, and the one the new release adds


def release_with_a_new_outbox_step(target: Path) -> Path:
    tree = source_tree(target)
    schema_file = tree / "offline_queue" / "schema.py"
    schema_file.write_text(schema_file.read_text() + "\n\n" + inspect.getsource(_new_step_priority)
                           + "\n\nMIGRATIONS.append(_new_step_priority)\n")
    return tree


def fill_at_older_schemas(storage: Path, sim, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[int]]:
    """A queue at outbox schema 1, a journal and an audit log at schema 0 (as 0.1.0 wrote them)."""
    refs = fill_with_oldest_schema(storage, sim.public_key_path, 4)
    receipt_ids = write_schema_0_journal(storage, [example_receipt("ka"), example_receipt("ru")])
    write_schema_0_audit(storage, ["maintenance.open", "queue.send_now"])
    return refs, receipt_ids


def test_upgrade_from_older_schemas_runs_each_step_and_the_queue_arrives_exactly_once(
        kiosk_root: Path, old_install, sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = kiosk_root / STORAGE
    refs, receipt_ids = fill_at_older_schemas(storage, sim, monkeypatch)
    systemd = fake_systemd(tmp_path / "systemd")

    result = run_install(release_with_a_new_outbox_step(tmp_path / "new-src"), kiosk_root, old_install[1],
                         **systemd)

    new_release = current_release(kiosk_root)
    assert f"kiosk.service is up on release {new_release}" in result.stdout
    assert f"start kiosk.service @{new_release}" in systemctl_calls(tmp_path / "systemd")
    for line in (f"outbox: migrated (schema 1 -> {NEW_OUTBOX_VERSION})",
                 "receipt_journal: migrated (schema 0 -> 1)", "audit_log: migrated (schema 0 -> 1)"):
        assert line in result.stdout, result.stdout
    recorded = json.loads((storage / "storage-format.json").read_text())["stores"]
    assert recorded == {"outbox": NEW_OUTBOX_VERSION, "receipt_journal": 1, "audit_log": 1}
    conn = sqlite3.connect(storage / "outbox.sqlite3")
    assert "priority" in [row[1] for row in conn.execute("PRAGMA table_info(entries)")]
    conn.close()
    with ReceiptJournal(storage) as journal:
        assert [journal.load(i) for i in receipt_ids] == [example_receipt("ka"), example_receipt("ru")]
    with AuditLog(storage) as audit:
        verdict = audit.verify()
        assert verdict.ok and verdict.count == 2, verdict
    # The test process is the new release's code here: it knows the step the upgrade ran.
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, _new_step_priority])
    assert deliver_all(storage, sim, pending=4) == dict.fromkeys(refs, 1)


@pytest.mark.parametrize("fail_mode", ["start", "loop"])
def test_a_release_that_does_not_come_up_after_the_switch_is_rolled_back(
        kiosk_root: Path, old_install, sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        fail_mode: str) -> None:
    storage = kiosk_root / STORAGE
    old_release, before = current_release(kiosk_root), manifest(kiosk_root)
    refs, receipt_ids = fill_at_older_schemas(storage, sim, monkeypatch)
    stores = {"outbox.sqlite3": "entries", "receipts.db": "receipts", "audit.sqlite3": "audit"}
    data_before = {name: (schema_of(storage / name), rows_of(storage / name, table))
                   for name, table in stores.items()}
    format_before = (storage / "storage-format.json").read_bytes()
    systemd = fake_systemd(tmp_path / "systemd", fail_release=__version__ + "-", fail_mode=fail_mode)

    result = run_install(release_with_a_new_outbox_step(tmp_path / "new-src"), kiosk_root, old_install[1],
                         check=False, **systemd)

    assert result.returncode != 0
    assert f"the upgrade was rolled back: {old_release} is current again" in result.stderr, result.stderr
    _assert_old_release_untouched(kiosk_root, old_release, before)
    calls = systemctl_calls(tmp_path / "systemd")
    starts = [call for call in calls if call.startswith("start ")]
    assert starts[-2].startswith(f"start kiosk.service @{__version__}-"), calls
    assert starts[-1] == f"start kiosk.service @{old_release}", calls
    assert (tmp_path / "systemd" / "active").exists(), "the old release runs again"
    for name, table in stores.items():
        assert (schema_of(storage / name), rows_of(storage / name, table)) == data_before[name], name
    aside = list((storage / "failed-upgrades").iterdir())
    assert len(aside) == 1 and schema_of(aside[0] / "outbox.sqlite3")[0] == NEW_OUTBOX_VERSION, \
        "the migrated state is kept"
    assert (storage / "storage-format.json").read_bytes() == format_before, "what it says is true again"
    # The old release's code (the test process, without the new step) delivers the queue.
    assert deliver_all(storage, sim, pending=4) == dict.fromkeys(refs, 1)
    with ReceiptJournal(storage) as journal:
        assert journal.load(receipt_ids[1]) == example_receipt("ru")
