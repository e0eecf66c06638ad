"""The outbox's line per citizen, kept as data: correct under any mix of outcomes, and
as cheap at 20,000 waiting entries as at 200 (counted in SQLite VM steps, not timed)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from kiosk.sealing import write_keypair
from offline_queue.outbox import Outbox
from tests.queue_support import bulk_fill

# The version 1 rule, as a plain query: the reference the stored flags must agree with.
REFERENCE_DUE = """
    SELECT e.id FROM entries AS e
    WHERE e.status = 'pending' AND e.next_attempt_at <= :now
      AND NOT EXISTS (SELECT 1 FROM entries AS p WHERE p.order_key = e.order_key
                      AND p.id < e.id AND p.status = 'pending')
    ORDER BY e.id LIMIT :limit
"""


@pytest.fixture
def public(tmp_path: Path):
    return write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")


def request(pn: str | None) -> dict:
    return {"service_id": "letter-to-agency", "personal_number": pn, "language": "ka",
            "values": {"body": "x"}}


class VmSteps:
    """Counts SQLite virtual-machine instructions run on one connection."""

    def __init__(self, box: Outbox) -> None:
        self.steps = 0
        box._conn.set_progress_handler(self._tick, 1)

    def _tick(self) -> int:
        self.steps += 1
        return 0


def _take_and_ack_steps(box: Outbox, rounds: int) -> dict[str, int]:
    counter = VmSteps(box)
    figures = {}
    for name, work in (
            ("take+ack", lambda: box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])),
            ("batch of 50", lambda: box.release([e.id for e in box.due_entries(50)])),
            ("next_due_at", box.next_due_at),
            ("pending_count", box.pending_count),
            ("stats", box.stats)):
        counter.steps = 0
        for _ in range(rounds):
            work()
        figures[name] = counter.steps
    box._conn.set_progress_handler(None, 0)
    return figures


def test_dequeue_and_acknowledge_cost_does_not_grow_with_a_few_citizens_backlog(tmp_path, public):
    """12 citizens own the whole backlog: the case where v1 walked every blocked entry."""
    figures = {}
    for backlog in (200, 20_000):
        box = Outbox(tmp_path / f"b{backlog}", kiosk_id="k", portal_public_key=public)
        bulk_fill(box, backlog, citizens=12)
        figures[backlog] = _take_and_ack_steps(box, rounds=20)
        assert box.pending_count() == backlog - 20
        box.close()
    for name, small in figures[200].items():
        large = figures[20_000][name]
        assert large <= small * 1.2 + 50, (name, small, large, figures)


def _check_invariants(box: Outbox, now: float) -> None:
    conn = box._conn
    heads = dict(conn.execute("SELECT order_key, id FROM entries WHERE status = 'pending' "
                              "AND head = 1").fetchall())
    oldest = dict(conn.execute("SELECT order_key, min(id) FROM entries WHERE status = 'pending' "
                               "GROUP BY order_key").fetchall())
    assert heads == oldest
    assert conn.execute("SELECT count(*) FROM entries WHERE head = 1").fetchone()[0] == len(heads)
    stored = dict(conn.execute("SELECT status, n FROM queue_counts").fetchall())
    actual = dict(conn.execute("SELECT status, count(*) FROM entries GROUP BY status").fetchall())
    assert {s: n for s, n in stored.items() if n} == actual
    for limit in (1, 7, 100):
        expected = [row[0] for row in conn.execute(REFERENCE_DUE, {"now": now, "limit": limit})]
        got = [e.id for e in box.due_entries(limit, now=now)]
        box.release(got)
        assert got == expected, (limit, got, expected)
    waiting = [row[0] for row in conn.execute(REFERENCE_DUE, {"now": 1e18, "limit": -1})]
    times = [conn.execute("SELECT next_attempt_at FROM entries WHERE id = ?", (i,)).fetchone()[0]
             for i in waiting]
    assert box.next_due_at() == (min(times) if times else None)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("keep_days", [0, 30])
def test_the_line_per_citizen_holds_through_any_mix_of_outcomes(tmp_path, public, seed, keep_days):
    rng = random.Random(seed)
    storage = tmp_path / "s"
    box = Outbox(storage, kiosk_id="k", portal_public_key=public, keep_delivered_days=keep_days)
    shell = Outbox(storage, writer=False)  # `kiosk queue retry` from another process
    citizens = ["01001000001", "01001000002", "01001000003", None]
    now = time.time()
    for _ in range(400):
        action = rng.random()
        if action < 0.35:
            box.enqueue(request(rng.choice(citizens)))
        elif action < 0.8:
            for entry in box.due_entries(rng.randint(1, 4), now=now):
                outcome = rng.random()
                if outcome < 0.5:
                    box.mark_delivered([(entry.id, "MG")])
                elif outcome < 0.7:
                    box.mark_dead(entry.id, "invalid_form")
                elif outcome < 0.85:  # a 409: this entry waits, later ones of its citizen too
                    box.mark_retry([entry.id], "in_progress", None, now + rng.choice([-1, 60]))
                else:
                    box.release([entry.id])
        else:
            dead = box.entries("dead", limit=None)
            if dead:
                (rng.choice([box, shell])).retry(rng.choice(dead).local_ref)
        _check_invariants(box, now)
    shell.close()
    box.close()


def test_a_held_back_entry_makes_its_citizens_later_ones_wait_without_a_busy_loop(
        tmp_path, public):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=public)
    first = box.enqueue(request("01001000001"))
    box.enqueue(request("01001000001"))  # due now, but behind `first`
    later = time.time() + 30
    box.mark_retry([first.id], "in_progress", None, later)  # the portal said 409 to `first`
    assert box.due_entries(10) == []
    # Nothing can go before `first` may: the forwarder sleeps until then (v1 said "now"
    # and the forwarder spun through empty rounds for the whole hold-back).
    assert box.next_due_at() == pytest.approx(later)
    box.close()
