"""The receipt journal: kept sealed, listed without personal data, reprinted after a failure."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from devices.printer import PaperOut, Printer
from devices.printer_sim import start_printer_sim
from devices.receipt import example_receipt, render
from kiosk.receipt_journal import (
    KEY_NAME,
    JournalError,
    ReceiptJournal,
    issue,
    reprint,
)

PERSONAL = ("01001012345", "Giorgi Beridze", "გიორგი ბერიძე", "Гиорги Беридзе", "Beridze")


def storage_bytes(folder: Path) -> bytes:
    """Every byte the journal keeps on disk except the key: db, WAL, SHM."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.name != KEY_NAME)


def test_load_gives_back_the_same_receipt_after_reopening(tmp_path: Path) -> None:
    receipt = example_receipt("ka")
    with ReceiptJournal(tmp_path) as journal:
        receipt_id = journal.add(receipt)
    with ReceiptJournal(tmp_path) as reopened:  # a kiosk restart: the key persists
        assert reopened.load(receipt_id) == receipt
        assert reopened.entry(receipt_id).print_status == "pending"


def test_no_personal_data_in_clear_on_disk(tmp_path: Path) -> None:
    journal = ReceiptJournal(tmp_path)
    for language in ("ka", "en", "ru"):
        journal.add(example_receipt(language))
    on_disk = storage_bytes(tmp_path)
    assert len(on_disk) > 4096  # the files really are there to look into
    for secret in PERSONAL:
        assert secret.encode() not in on_disk, secret
        assert secret.encode("utf-16-le") not in on_disk, secret
    assert b"K07-20250314-0042" in on_disk  # metadata is in clear, as intended
    listed = repr(journal.recent(10)) + repr(journal.failed())
    assert not any(secret in listed for secret in PERSONAL)
    journal.close()


def test_key_and_database_are_owner_only(tmp_path: Path) -> None:
    with ReceiptJournal(tmp_path) as journal:
        journal.add(example_receipt("en"))
    for name in (KEY_NAME, "receipts.db"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name


def test_wal_and_full_sync(tmp_path: Path) -> None:
    with ReceiptJournal(tmp_path) as journal:
        assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_keeps_only_the_last_n(tmp_path: Path) -> None:
    with ReceiptJournal(tmp_path, keep=5) as journal:
        ids = [journal.add(replace(example_receipt("en"), local_reference=f"R-{i}")) for i in range(8)]
        recent = journal.recent(100)
        assert [e.id for e in recent] == ids[::-1][:5]
        assert [e.local_reference for e in recent[:2]] == ["R-7", "R-6"]
        with pytest.raises(JournalError, match="last 5"):
            journal.load(ids[0])
        assert journal.load(ids[-1]).local_reference == "R-7"


def test_mark_records_attempts_and_failures(tmp_path: Path) -> None:
    with ReceiptJournal(tmp_path) as journal:
        first, second = journal.add(example_receipt("ka")), journal.add(example_receipt("ru"))
        journal.mark(first, "failed", "PaperOut")
        journal.mark(second, "printed")
        assert [(e.id, e.last_error, e.attempts) for e in journal.failed()] == [(first, "PaperOut", 1)]
        journal.mark(first, "printed")
        assert journal.failed() == []
        assert journal.entry(first).attempts == 2
        with pytest.raises(ValueError, match="print status"):
            journal.mark(first, "lost")
        with pytest.raises(JournalError):
            journal.mark(9999, "printed")


def test_reprint_after_the_paper_ran_out_mid_receipt(tmp_path: Path) -> None:
    """The end-to-end technician path: paper ends, receipt is failed, refill, reprint."""
    receipt = example_receipt("ka")
    with start_printer_sim(tmp_path / "printed", paper_dots=400) as sim, \
            ReceiptJournal(tmp_path / "storage") as journal:
        printer = Printer(f"tcp://127.0.0.1:{sim.port}")
        with pytest.raises(PaperOut):
            issue(journal, printer, receipt)
        (failed,) = journal.failed()
        assert failed.last_error == "PaperOut" and sim.receipts() == []

        sim.refill()
        assert reprint(journal, printer, failed.id) == receipt
        assert journal.entry(failed.id).print_status == "printed"
        assert journal.failed() == []
        (png,) = sim.wait_for_receipts(1)
        printed = Image.open(png).convert("L")
        assert ImageChops.difference(printed, render(receipt).convert("L")).getbbox() is None
