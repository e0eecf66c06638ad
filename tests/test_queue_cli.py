"""`kiosk queue ...` on a real outbox in a temporary storage directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.sealing import load_private_key, write_keypair
from offline_queue.envelope import open_and_verify
from offline_queue.outbox import Outbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def kiosk_dir(tmp_path: Path):
    public = write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")
    storage = tmp_path / "storage"
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\nid = "tbilisi-07"\n[portal]\npublic_key = "{tmp_path / "portal.pub"}"\n'
                      f'[storage]\ndir = "{storage}"\n', encoding="utf-8")
    box = Outbox(storage, kiosk_id="tbilisi-07", portal_public_key=public)
    entries = [box.enqueue({"service_id": "letter-to-agency", "personal_number": "01001012345",
                            "values": {"body": "საიდუმლო"}}) for _ in range(3)]
    box.mark_dead(entries[0].id, "invalid_form", "field subject is empty")
    box.close()  # the CLI must also work while a kiosk holds the writer lock; see below
    return config, entries, tmp_path


def test_status_text_and_json(kiosk_dir, capsys):
    config, _, _ = kiosk_dir
    assert main(["queue", "--config", str(config), "status"]) == 0
    text = capsys.readouterr().out
    assert "waiting to be sent: 2" in text and "dead letters:       1" in text
    assert "delivered, on disk: 0" in text
    assert main(["queue", "--config", str(config), "status", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["pending"], stats["dead"]) == (2, 1)


def test_list_shows_refusal_reason_and_no_personal_data(kiosk_dir, capsys):
    config, entries, _ = kiosk_dir
    assert main(["queue", "--config", str(config), "list", "--status", "dead"]) == 0
    out = capsys.readouterr().out
    # The kiosk's words for the code: the portal's own message is never stored.
    assert entries[0].local_ref in out and "invalid_form: the portal refused the form" in out
    assert "field subject is empty" not in out
    assert entries[1].local_ref not in out
    assert main(["queue", "--config", str(config), "list", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["local_ref"] for line in lines] == [e.local_ref for e in entries]
    assert "01001012345" not in json.dumps(lines) and "sealed" not in lines[0]


def test_retry_puts_a_dead_letter_back_while_the_kiosk_runs(kiosk_dir, capsys):
    config, entries, tmp_path = kiosk_dir
    running = Outbox(tmp_path / "storage", kiosk_id="tbilisi-07")  # holds the writer lock
    assert main(["queue", "--config", str(config), "retry", entries[0].local_ref]) == 0
    assert "waiting to be sent again" in capsys.readouterr().out
    assert running.get(entries[0].id).status == "pending"
    assert main(["queue", "--config", str(config), "retry", entries[0].local_ref]) == 1
    assert "it is pending, not dead" in capsys.readouterr().err
    assert main(["queue", "--config", str(config), "retry", "9999"]) == 1
    running.close()


def test_export_writes_sealed_entries_the_portal_can_open(kiosk_dir):
    config, entries, tmp_path = kiosk_dir
    out = tmp_path / "export.jsonl"
    assert main(["queue", "--config", str(config), "export", "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["local_ref"] for r in records] == [e.local_ref for e in entries]
    assert b"01001012345" not in out.read_bytes()
    opened = open_and_verify(records[1]["sealed"], load_private_key(tmp_path / "portal.key"))
    assert opened["request"]["local_ref"] == entries[1].local_ref


def test_the_installed_command_runs(kiosk_dir):
    config, _, _ = kiosk_dir
    done = subprocess.run([sys.executable, "-m", "kiosk", "queue", "--config", str(config),
                           "status", "--json"], check=False, capture_output=True, text=True,
                          cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["pending"] == 2
