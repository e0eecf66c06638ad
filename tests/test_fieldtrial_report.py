"""The field trial's report: a PIN anywhere is found, a reference's counter is not a PIN;
stuck steps are told apart."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.fieldtrial.report import PIN_DIGITS, find_secrets, stuck_kinds, wrong_pin
from bench.fieldtrial.stand import identities
from bench.fieldtrial.visits import LeakWatch, Outcome, Stuck, Visits


def test_a_pin_is_found_in_a_log_line_or_a_database_but_not_as_a_references_counter(tmp_path: Path) -> None:
    log = tmp_path / "kiosk.log"
    log.write_bytes(b'level=info msg="submissions delivered" refs=KT-2611-0456,KT-2611-2345\n'
                    b'level=error msg="card" detail=pin=2345\n')
    wal = tmp_path / "outbox.db-wal"
    wal.write_bytes(b"\x00\x01KT-2611-0456\x00printed\x002345\x07")
    hits = find_secrets([log, wal], {"2345", "0456"})
    assert [(Path(h["file"]).name, h["context"].count("####")) for h in hits] == [
        ("kiosk.log", 2), ("outbox.db-wal", 1)]  # the free 2345s; no counter, and never 0456
    assert all("2345" not in h["context"] for h in hits)  # the PIN itself is masked


def test_wrong_pins_differ_in_every_digit_and_use_the_pin_alphabet() -> None:
    for _, pin, _ in identities(random.Random(7), 50):
        wrong = wrong_pin(pin)
        assert set(wrong) <= set(PIN_DIGITS) and all(a != b for a, b in zip(pin, wrong, strict=True))


def test_the_same_seed_draws_the_same_citizens() -> None:
    assert identities(random.Random(20261127), 8) == identities(random.Random(20261127), 8)


def test_the_table_carries_the_memory_growth_after_warm_up() -> None:
    from bench.fieldtrial.report import table

    result = {"citizens": 1000, "submissions_accepted": 900, "delivered_exactly_once": 900, "lost": 0,
              "duplicated": 0, "receipts_missing": 0, "leaks": 0, "pin_found": 0, "kills": 33,
              "restarts": 33, "rss_start_mb": 512.25, "rss_end_mb": 520.0,
              "rss_growth_after_warm_up_mb": 7.46, "wall_s": 6000}
    heads, _, cells = (line.strip("|").split("|") for line in table(result).splitlines())
    row = dict(zip((h.strip() for h in heads), (c.strip() for c in cells), strict=True))
    assert row["memory growth (MB)"] == "7.5"
    assert row["RSS start/end (MB)"] == "512.2 / 520.0"
    assert row["wall time"] == "100.0 min"
    # No run reached its 10th visit: the table says it does not know, rather than 0.
    assert "| ? |" in table({**result, "rss_growth_after_warm_up_mb": None})


def test_memory_growth_reads_the_scatter_apart_from_a_rise() -> None:
    """One high last reading makes the end-minus-warm figure large; a fitted line shows the
    level did not rise. A run that does rise shows in every figure."""
    from bench.fieldtrial.report import memory_growth

    flat = [440.0, 452.0, 436.0, 447.0, 431.0, 445.0, 438.0, 450.0, 433.0, 456.0]  # ends high
    rising = [440.0 + 2 * i for i in range(10)]
    runs = [{"warm": flat[0], "end": flat[-1], "readings": [[10 + i, mb] for i, mb in enumerate(flat)]},
            {"warm": rising[0], "end": rising[-1],
             "readings": [[50 + i, mb] for i, mb in enumerate(rising)]}]
    growth = memory_growth(runs[:1])
    assert growth["largest"] == 16.0
    assert abs(growth["largest_fitted"]) < 5
    both = memory_growth(runs)
    assert both["largest"] == 18.0 and both["median"] == 17.0
    assert both["largest_fitted"] == pytest.approx(18.0)
    # The day's drift: two flat runs at one level against the same runs 30 MB apart.
    later = [{**runs[0], "readings": [[x + 40, mb] for x, mb in runs[0]["readings"]]}]
    higher = [{**runs[0], "readings": [[x + 40, mb + 30] for x, mb in runs[0]["readings"]]}]
    assert abs(memory_growth(runs[:1] + later)["day_drift"]) < 3
    assert memory_growth(runs[:1] + higher)["day_drift"] > 25
    assert memory_growth([{"start": 400.0, "end": 410.0}]) == {
        "largest": None, "median": None, "largest_fitted": None, "day_drift": None}


def test_stuck_steps_are_told_apart_with_the_faults_of_their_visit() -> None:
    tap = ("stuck:{'cmd': 'tap', 'id': 'logout'} -> {'error': 'unknown_id', 'id': 'logout', "
           "'screen': 'home', 'visible': ['site-name', 'search']}")
    visits = [
        {"notes": [tap, "searched"], "faults": []},
        {"notes": [tap], "faults": []},
        {"notes": ["stuck:waited for ('pin', 'error'), still on attract"], "faults": ["reader gone"]},
        {"notes": ["stuck_after:something else", "kiosk_died"]},  # not a stuck step of the visit
    ]
    assert stuck_kinds(visits) == {
        "{'cmd': 'tap', 'id': 'logout'} -> unknown_id on home": 2,
        "waited for ('pin', 'error'), still on attract [reader gone]": 1,
    }


class AttractOnly:
    """The driver's `state`, as a kiosk at the attract screen answers it."""

    def __init__(self, insert_card: str) -> None:
        self.insert_card = insert_card

    def state(self) -> dict:
        return {"screen": "attract", "widgets": [{"id": "insert-card", "text": self.insert_card}]}


CATALOG = {"services": [], "agencies": [{"id": "napr"}]}


def test_a_card_only_citizen_reads_that_the_reader_is_gone_or_the_step_is_stuck() -> None:
    """The trial's visit for a citizen with only a card while the reader is unplugged."""
    told = Outcome("reader_gone", "p1")
    Visits(AttractOnly("Считыватель карт не работает"), CATALOG, random.Random(1)).reader_gone(told)
    assert told.notes == ["reader_gone_shown"]
    asked = Outcome("reader_gone", "p2")
    kiosk = AttractOnly("Insert your ID card into the reader below")
    with pytest.raises(Stuck, match="still asks for a card"):
        Visits(kiosk, CATALOG, random.Random(1)).reader_gone(asked, timeout_s=0.3)
    assert asked.notes == []


def test_after_a_visit_its_values_held_anywhere_or_a_kept_touch_count_as_leaks() -> None:
    watch = LeakWatch()
    watch.next_visit(7)
    watch.remember("ბერიძე", "01001012345")
    watch.search_held({"texts": ["ენტერი", "Hello"], "touches_kept": []})
    assert watch.leaks == [], "texts of no citizen are not leaks"
    watch.search_held({"texts": ["ბერიძე ნინო", "010 0101 2345"], "touches_kept": ["pin-4"]})
    assert [(leak["widget"], leak["value"]) for leak in watch.leaks] == [
        ("(held)", "ბერიძე"), ("(held)", "01001012345"), ("pin-4", "(a touch kept)")]
    assert {leak["visit"] for leak in watch.leaks} == {7}
