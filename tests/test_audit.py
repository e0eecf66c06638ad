"""The audit log's hash chain: every kind of tampering is found and named, by the library and the CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.audit import GENESIS, AuditLog, entry_hash
from kiosk.cli import main


@pytest.fixture
def log(tmp_path: Path):
    audit = AuditLog(tmp_path / "storage")
    for n in range(1, 6):
        audit.append("reprint", receipt_id=n, ok=True)
    yield audit
    audit.close()


def sql(log: AuditLog, statement: str, *args) -> None:
    """Tamper the way someone with a shell would: straight into the file."""
    conn = sqlite3.connect(log.path)
    with conn:
        conn.execute(statement, args)
    conn.close()


def test_entries_are_chained_and_verify(log: AuditLog) -> None:
    entries = log.entries()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev_hash"] == GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert all(entry_hash(e) == e["hash"] for e in entries)
    assert entries[2]["actor"] == "technician" and entries[2]["details"] == {"receipt_id": 3, "ok": True}
    assert log.verify().ok and log.verify().count == 5
    assert log.head() == (5, entries[-1]["hash"])
    assert log.path.stat().st_mode & 0o777 == 0o600


def test_an_edited_entry_is_named(log: AuditLog) -> None:
    sql(log, "UPDATE audit SET details = ? WHERE seq = 3", json.dumps({"receipt_id": 99, "ok": True}))
    result = log.verify()
    assert (result.ok, result.first_broken_seq, result.count) == (False, 3, 2)
    assert "changed" in result.reason


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(log: AuditLog) -> None:
    entry = log.entries()[2]
    entry["action"] = "leave"
    sql(log, "UPDATE audit SET action = 'leave', hash = ? WHERE seq = 3", entry_hash(entry))
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert "does not follow entry 3" in result.reason


def test_a_deleted_entry_is_named(log: AuditLog) -> None:
    sql(log, "DELETE FROM audit WHERE seq = 2")
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert "missing" in result.reason


def test_deleted_and_renumbered_entries_are_found(log: AuditLog) -> None:
    sql(log, "DELETE FROM audit WHERE seq = 2")
    for seq in (3, 4, 5):
        sql(log, "UPDATE audit SET seq = ? WHERE seq = ?", seq - 1, seq)
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_reordered_entries_are_found(log: AuditLog) -> None:
    sql(log, "UPDATE audit SET seq = 100 WHERE seq = 2")
    sql(log, "UPDATE audit SET seq = 2 WHERE seq = 3")
    sql(log, "UPDATE audit SET seq = 3 WHERE seq = 100")
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert "does not follow" in result.reason


def test_entries_cut_off_the_end_are_found_through_the_head(log: AuditLog) -> None:
    sql(log, "DELETE FROM audit WHERE seq >= 4")
    result = log.verify()
    assert (result.ok, result.count, result.first_broken_seq) == (False, 3, 4)
    assert "removed from the end" in result.reason


def test_a_replaced_last_entry_is_found_through_the_head(log: AuditLog) -> None:
    last = log.entries()[-1]
    forged = {**last, "action": "leave"}
    sql(log, "UPDATE audit SET action = 'leave', hash = ? WHERE seq = 5", entry_hash(forged))
    result = log.verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)


def test_an_emptied_log_with_its_head_left_is_found(log: AuditLog) -> None:
    sql(log, "DELETE FROM audit")
    result = log.verify()
    assert not result.ok and result.first_broken_seq == 1


def test_personal_data_keys_are_refused_and_numbers_masked(tmp_path: Path) -> None:
    with AuditLog(tmp_path) as audit:
        for key in ("pin", "personal_number", "surname", "subject"):
            with pytest.raises(ValueError):
                audit.append("test_card", **{key: "x"})
        entry = audit.append("retry_dead", ref="K7-2611-0042", note="for 01001012345")
        assert entry["details"]["note"] == "for 010********"
        assert audit.verify().ok and audit.verify().count == 1


def test_appends_from_two_processes_keep_one_chain(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        from kiosk.audit import AuditLog
        log = AuditLog({str(tmp_path)!r})
        for n in range(25):
            log.append("status_report", n=n)
    """)
    children = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    with AuditLog(tmp_path) as audit:
        for n in range(25):
            audit.append("send_queue_now", n=n)
        assert all(child.wait(timeout=60) == 0 for child in children)
        result = audit.verify()
        assert result.ok and result.count == 75
        assert audit.head()[0] == 75


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "storage"}"\n', encoding="utf-8")
    return path


def test_cli_verify_and_list(log: AuditLog, tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path)
    assert main(["audit", "--config", str(config), "verify"]) == 0
    assert "intact: 5 entries" in capsys.readouterr().out
    assert main(["audit", "list", "--config", str(config), "--limit", "2", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["seq"] for e in lines] == [5, 4]
    sql(log, "UPDATE audit SET time = '2020-01-01T00:00:00Z' WHERE seq = 4")
    assert main(["audit", "--config", str(config), "verify"]) == 1
    assert "BROKEN at entry 4" in capsys.readouterr().out
    assert main(["audit", "--config", str(config), "verify", "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["ok"] is False and verdict["first_broken_seq"] == 4 and verdict["count"] == 3


def test_cli_verify_runs_as_a_separate_process(log: AuditLog, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    sql(log, "DELETE FROM audit WHERE seq = 3")
    done = subprocess.run([sys.executable, "-m", "kiosk", "audit", "--config", str(config), "verify"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "entry 3" in done.stdout
