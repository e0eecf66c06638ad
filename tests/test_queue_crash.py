"""kill -9 during enqueue and forwarding: nothing accepted is lost or sent twice.

A zygote (tests/queue_crash_child.py) forks workers that enqueue, forward,
or both, against the portal simulator; each worker is killed with SIGKILL
a random few milliseconds after it starts. At the end a clean forwarder
drains what is left, and the portal must hold every entry that a worker
reported as accepted exactly once. At most one entry per kill may be
stored but never reported (killed between commit and the report), which
the portal receiving it is harmless.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kiosk.portal.client import PortalClient
from kiosk.sealing import load_public_key
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox

ROOT = Path(__file__).resolve().parents[1]
KILLS = 100


def test_kill_9_at_random_points_loses_nothing_and_duplicates_nothing(sim, tmp_path):
    storage, refs = tmp_path / "kiosk", tmp_path / "accepted.txt"
    zygote = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "queue_crash_child.py"), str(storage), sim.url,
         str(sim.public_key_path), str(refs)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    rng = random.Random(20261126)
    statuses = []
    try:
        for round_no in range(KILLS):
            mode = ("enqueue", "mixed", "mixed", "forward")[round_no % 4]
            zygote.stdin.write(f"{mode} {round_no}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline().split()[1])
            time.sleep(rng.uniform(0.003, 0.060))
            os.kill(pid, signal.SIGKILL)
            statuses.append(zygote.stdout.readline().strip())
            if round_no % 25 == 24:
                conn = sqlite3.connect(storage / "outbox.sqlite3", timeout=10)
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                conn.close()
    finally:
        zygote.stdin.close()
        zygote.wait(10)
    # Every worker died of the SIGKILL, none of its own accord.
    assert statuses == [f"done {signal.SIGKILL}"] * KILLS

    lines = [line.split() for line in refs.read_text().splitlines()]
    accepted = {key: ref for ref, key in (parts for parts in lines if len(parts) == 2)}
    assert len(accepted) > 50  # enough work was interrupted to mean something (~500 idle)

    conn = sqlite3.connect(tmp_path / "portal.sqlite")
    sent_by_killed_workers = conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
    conn.close()
    assert sent_by_killed_workers > 20  # the kills also landed in forwarding (~350 idle)

    box = Outbox(storage, kiosk_id="crash-kiosk",
                 portal_public_key=load_public_key(sim.public_key_path))
    assert box.integrity_check() == "ok"
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id="crash-kiosk")
    forwarder = Forwarder(box, client, base_delay_s=0.05, max_delay_s=0.2).start()
    deadline = time.monotonic() + 20
    while box.stats()["pending"] and time.monotonic() < deadline:
        time.sleep(0.05)
    forwarder.stop()
    stats = box.stats()
    box.close()
    client.close()
    assert stats["pending"] == 0 and stats["dead"] == 0, stats

    conn = sqlite3.connect(tmp_path / "portal.sqlite")
    received = conn.execute("SELECT idempotency_key, local_ref FROM transactions").fetchall()
    conn.close()
    keys = [key for key, _ in received]
    assert len(keys) == len(set(keys)), "a submission reached the portal twice"
    refs_at_portal = [ref for _, ref in received]
    assert len(refs_at_portal) == len(set(refs_at_portal))
    missing = set(accepted) - set(keys)
    assert not missing, f"{len(missing)} accepted submissions never reached the portal"
    unreported = set(keys) - set(accepted)
    assert len(unreported) <= KILLS
    print(f"crash test: {KILLS} kills, {len(accepted)} accepted, {len(keys)} at the portal, "
          f"{len(unreported)} stored but unreported, {sent_by_killed_workers} sent before the drain")
