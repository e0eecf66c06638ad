"""Offline-queue bench: this outbox against persist-queue, huey and the disk's own fsync rate.

All figures come from ONE run on one disk, at equal durability (every put
is on disk when it returns: WAL + synchronous=FULL, or an fsync), and are
printed as ratios to the raw fsync rate, because absolute rates differ
between machines by more than the queues differ from each other
(docs: /work/shared/research/queue-durability.md).

    .venv/bin/python bench/queue_bench.py            # default, under 2 minutes
    .venv/bin/python bench/queue_bench.py --flap 300 # plus a long flapping-portal run
    .venv/bin/python bench/queue_bench.py --fsync-extra-us 2000 -n 500 --backlog 2000
        # every fsync 2 ms slower: the ratios on a disk like a kiosk's (bench/slow_fsync.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import slow_fsync  # noqa: E402
from kiosk.portal import simulator  # noqa: E402
from kiosk.portal.client import PortalClient  # noqa: E402
from kiosk.sealing import load_public_key, write_keypair  # noqa: E402
from offline_queue import order, schema  # noqa: E402
from offline_queue.forwarder import Forwarder  # noqa: E402
from offline_queue.outbox import Outbox  # noqa: E402

PAYLOAD = os.urandom(2048)


def request(i: int) -> dict:
    return {"service_id": "letter-to-agency", "personal_number": f"010{i % 5000:08d}",
            "language": "ka", "values": {"body": "x" * 1700, "n": i}}


def rate(n: int, fn) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - started)


def raw_fsync(work: Path, n: int) -> float:
    fd = os.open(work / "raw.bin", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return rate(n, lambda _i: (os.write(fd, PAYLOAD), os.fsync(fd)))
    finally:
        os.close(fd)


def new_outbox(work: Path, name: str, public) -> Outbox:
    return Outbox(work / name, kiosk_id="bench", portal_public_key=public)


def outbox_put(work: Path, n: int, public, sealed: bool) -> float:
    box = new_outbox(work, f"ob-put-{sealed}-{time.monotonic_ns()}", public)
    try:
        if sealed:  # the real path: sign + HPKE seal + one durable commit
            return rate(n, lambda i: box.enqueue(request(i)))
        # The store alone, as the other queues store an opaque payload.
        prepared = [box.prepare(request(i)) for i in range(n)]
        return rate(n, lambda i: box.commit(prepared[i]))
    finally:
        box.close()


def outbox_drain(work: Path, n: int, public, batch: int, ack_fsync: bool = False) -> float:
    """Entries taken and acknowledged per second. As the kiosk runs it an acknowledgement
    has no fsync of its own (a lost one is a resend the portal answers from its record);
    ``ack_fsync`` makes each one durable, as the outbox did before, for comparison."""
    box = new_outbox(work, f"ob-drain-{batch}-{ack_fsync}-{time.monotonic_ns()}", public)
    if ack_fsync:
        own_write = box._write
        box._write = lambda durable=True: own_write(True)
    try:
        _bulk_fill(box, n)
        started = time.perf_counter()
        done = 0
        while entries := box.due_entries(batch):
            box.mark_delivered([(e.id, "MG") for e in entries])
            done += len(entries)
        return done / (time.perf_counter() - started)
    finally:
        box.close()


def _bulk_fill(box: Outbox, n: int, citizens: int | None = None) -> None:
    """Set-up only: n pending entries of ``citizens`` people (default: all distinct) in one
    transaction, through the outbox's own INSERT, so each has its real place in line."""
    stamp = box.prepare(request(0))["created_at"]
    tag = time.monotonic_ns()
    with box._write() as conn:
        conn.executemany(order.INSERT_ENTRY, [
            {"local_ref": f"B-{tag}-{i}", "idempotency_key": f"k-{tag}-{i}", "kiosk_id": "bench",
             "service_id": "s", "order_key": f"o{i % (citizens or n)}", "status": "pending",
             "created_at": stamp, "updated_at": stamp, "size": len(PAYLOAD), "attempts": 0,
             "next_attempt_at": 0.0, "sealed": PAYLOAD} for i in range(n)])
        schema.recount(conn)  # counts are kept by the outbox's writes, not this set-up's


# The alternative: release 1's rule, checked per candidate with NOT EXISTS.
V1_DUE = (
    "SELECT e.* FROM entries AS e WHERE e.status = 'pending' AND e.next_attempt_at <= :now"
    " AND NOT EXISTS (SELECT 1 FROM entries AS p WHERE p.order_key = e.order_key"
    " AND p.id < e.id AND p.status IN ('pending', 'in_flight')) ORDER BY e.id LIMIT :limit"
)


def take_ack_curve(work: Path, backlog: int, public, citizens: int = 12,
                   probes: int = 200) -> dict[str, float]:
    """µs per take+ack (as the kiosk runs it, then with no checkpoint: no fsync at all) and
    per 50-entry look-up, release 1's query beside ours, with a backlog owned by a few
    citizens (the hard case for ordering)."""
    box = new_outbox(work, f"ob-curve-{backlog}-{time.monotonic_ns()}", public)
    takes = probes // 4 + probes
    try:
        # The acknowledgements consume entries: start that many above the backlog
        # so every figure is taken with at least ``backlog`` waiting.
        _bulk_fill(box, backlog + takes, citizens)

        def per_op(fn, n: int) -> float:
            """Best of three thirds: the figure least disturbed by other work on the machine."""
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                for _ in range(max(1, n // 3)):
                    fn()
                best = min(best, (time.perf_counter() - started) / max(1, n // 3))
            return best * 1e6

        def take_ack() -> None:
            box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])

        figures = {"take+ack": per_op(take_ack, probes // 4)}
        assert box.pending_count() >= backlog
        box._conn.execute("PRAGMA wal_autocheckpoint = 0")  # the cost that must not grow
        figures["take+ack CPU"] = per_op(take_ack, probes)
        figures["due 50"] = per_op(lambda: box.release([e.id for e in box.due_entries(50)]), 20)
        figures["due 50, release 1's query"] = per_op(
            lambda: box._conn.execute(V1_DUE, {"now": time.time(), "limit": 50}).fetchall(), 6)
        figures["next due, release 1's query"] = per_op(lambda: box._conn.execute(
            "SELECT min(next_attempt_at) FROM entries WHERE status = 'pending'").fetchone(), 6)
        figures["next due"] = per_op(box.next_due_at, 200)
        return figures
    finally:
        box.close()


def wal_pages(work: Path, public, ops: int = 100) -> tuple[float, float]:
    """Pages each durable store / take+ack writes to the WAL: with fsyncs per operation, what
    carries over to a kiosk's eMMC, where a commit's size costs more than on this disk."""
    box = new_outbox(work, f"ob-pages-{time.monotonic_ns()}", public)
    try:
        prepared = [box.prepare(request(i)) for i in range(3 * ops)]
        for entry in prepared[:2 * ops]:
            box.commit(entry)
        conn = box._conn
        conn.execute("PRAGMA wal_autocheckpoint = 0")

        def pages(fn) -> float:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            for i in range(ops):
                fn(i)
            return conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1] / ops

        store = pages(lambda i: box.commit(prepared[2 * ops + i]))
        ack = pages(lambda _i: box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)]))
        return store, ack
    finally:
        box.close()


def plain_table(work: Path, n: int) -> tuple[float, float]:
    """The ceiling for any SQLite queue on this disk: one table, no index, WAL +
    synchronous=FULL, put = one INSERT commit, take = read the oldest and delete it in one
    commit (the research's "plain sqlite3" row). What an outbox with ordering, counts and
    references pays above it is its indexes: each commit writes a page per B-tree it changes."""
    import sqlite3

    conn = sqlite3.connect(work / f"plain-{time.monotonic_ns()}.db", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE q (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")

        def put(_i: int) -> None:  # autocommit: the INSERT is its own transaction
            conn.execute("INSERT INTO q (payload) VALUES (?)", (PAYLOAD,))

        def take(_i: int) -> None:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT id, payload FROM q ORDER BY id LIMIT 1").fetchone()
            conn.execute("DELETE FROM q WHERE id = ?", (row[0],))
            conn.execute("COMMIT")

        return rate(n, put), rate(n, take)
    finally:
        conn.close()


def persist_queue(work: Path, n: int) -> tuple[float, float]:
    from persistqueue import SQLiteAckQueue

    queue = SQLiteAckQueue(str(work / f"pq-{time.monotonic_ns()}"), auto_commit=True,
                           multithreading=True)
    sync = queue._getter.execute("PRAGMA synchronous").fetchone()[0]
    assert sync == 2, f"persist-queue runs with synchronous={sync}, not FULL: not comparable"
    put = rate(n, lambda _i: queue.put(PAYLOAD))
    take = rate(n, lambda _i: queue.ack(queue.get(block=False)))
    return put, take


def huey_storage(work: Path, n: int) -> tuple[float, float]:
    from huey.storage import SqliteStorage

    storage = SqliteStorage(name="bench", filename=str(work / f"huey-{time.monotonic_ns()}.db"),
                            fsync=True)
    put = rate(n, lambda _i: storage.enqueue(PAYLOAD))
    take = rate(n, lambda _i: storage.dequeue())  # deletes at once: no acknowledgement
    return put, take


def drain_to_simulator(work: Path, n: int) -> tuple[float, float, int]:
    """Seconds to send an ``n``-entry backlog, the kiosk's CPU seconds in them (this
    process: the forwarder and the outbox), and how many the portal then holds.

    The simulator runs in its own process (`kiosk portal-sim`), as the portal
    is another machine: in this process it shared the interpreter lock with
    the forwarder, and opening and verifying each envelope is its larger share.
    """
    import sqlite3
    import subprocess

    private, public = work / "drain-sealing.key", work / "drain-sealing.pub"
    db = work / "drain-portal" / "portal.sqlite"
    db.parent.mkdir()
    write_keypair(private, public)
    server = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "portal-sim", "--port", "0", "--db", str(db),
         "--sealing-key", str(private)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        url = server.stdout.readline().strip()
        box = new_outbox(work, "ob-sim", load_public_key(public))
        for i in range(n):
            box.enqueue(request(i))
        client = PortalClient(url, kiosk_id="bench")
        started, cpu_started = time.perf_counter(), time.process_time()
        forwarder = Forwarder(box, client, batch_size=100, base_delay_s=0.05).start()
        while box.count("pending"):
            time.sleep(0.01)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        forwarder.stop()
        client.close()
        box.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    with sqlite3.connect(db) as conn:
        received = conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
    return elapsed, cpu, received


def flap(work: Path, seconds: float) -> None:
    sim = simulator.start(work / "flap" / "portal.sqlite")
    box = new_outbox(work, "ob-flap", load_public_key(sim.public_key_path))
    client = PortalClient(sim.url, kiosk_id="bench")
    forwarder = Forwarder(box, client, base_delay_s=0.05, max_delay_s=1.0).start()
    stop = threading.Event()
    accepted = []

    def weather() -> None:
        modes = ["down", "none", "unavailable503", "none", "drop_after_process", "error500", "none"]
        i = 0
        while not stop.wait(1.0):
            sim.set_fault(modes[i % len(modes)], retry_after_s=1)
            i += 1

    thread = threading.Thread(target=weather)
    thread.start()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        accepted.append(box.enqueue(request(i)).idempotency_key)
        i += 1
        time.sleep(0.02)
    stop.set()
    thread.join()
    sim.set_fault("none")
    forwarder.send_now()
    while box.count("pending"):
        time.sleep(0.05)
    forwarder.stop()
    keys = [row["idempotency_key"] for row in sim.store.transactions(limit=len(accepted) * 2)]
    print(f"\nflapping portal for {seconds:.0f} s: {len(accepted)} accepted, {len(keys)} received, "
          f"{len(set(keys))} distinct, lost {len(set(accepted) - set(keys))}, "
          f"duplicated {len(keys) - len(set(keys))}")
    box.close()
    client.close()
    sim.stop()


def fsyncs_child(kind: str, ops: int, setup: int = 300) -> None:
    """Run one operation ``ops`` times after a fixed set-up, so strace can count its fsyncs."""
    work = Path(tempfile.mkdtemp(prefix="queue-fsync-", dir=os.environ.get("BENCH_DIR")))
    if kind.startswith("outbox"):
        box = new_outbox(work, "ob", write_keypair(work / "portal.key", work / "portal.pub"))
        prepared = [box.prepare(request(i)) for i in range(setup)]
        _bulk_fill(box, setup)
        run = ((lambda i: box.commit(prepared[i])) if kind == "outbox commit" else
               (lambda i: box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])))
    elif kind.startswith("persist-queue"):
        from persistqueue import SQLiteAckQueue

        queue = SQLiteAckQueue(str(work / "pq"), auto_commit=True, multithreading=True)
        for _ in range(setup):
            queue.put(PAYLOAD)
        run = ((lambda i: queue.put(PAYLOAD)) if kind == "persist-queue put" else
               (lambda i: queue.ack(queue.get(block=False))))
    else:
        from huey.storage import SqliteStorage

        huey = SqliteStorage(name="b", filename=str(work / "h.db"), fsync=True)
        for _ in range(setup):
            huey.enqueue(PAYLOAD)
        run = (lambda i: huey.enqueue(PAYLOAD)) if kind == "huey put" else (lambda i: huey.dequeue())
    for i in range(ops):
        run(i)


def count_fsyncs(n: int = 200) -> dict[str, float]:
    """fsync + fdatasync calls per operation, counted by strace (the figure that carries
    over to a kiosk's eMMC, whatever this machine's disk does)."""
    import shutil
    import subprocess

    if not shutil.which("strace"):
        return {}
    counts: dict[str, float] = {}
    for kind in ("outbox commit", "outbox take+ack", "persist-queue put",
                 "persist-queue get+ack", "huey put", "huey dequeue"):
        results = []
        for ops in (1, n + 1):  # the difference is n operations, set-up cancelled out
            with tempfile.NamedTemporaryFile("r", suffix=".strace") as trace:
                subprocess.run(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o",
                                trace.name, sys.executable, __file__, "--fsyncs-child", kind, str(ops)],
                               check=True, capture_output=True)
                results.append(sum(1 for line in open(trace.name) if "sync(" in line))
        counts[kind] = (results[1] - results[0]) / n
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="items per rate measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--backlog", type=int, default=10000, help="entries drained to the simulator")
    parser.add_argument("--flap", type=float, default=0, help="also run a flapping portal this long (s)")
    parser.add_argument("--fsync-extra-us", type=int, default=0,
                        help="make every fsync this much slower (bench/slow_fsync.py)")
    parser.add_argument("--fsyncs-child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fsync_extra_us and not slow_fsync.extra_us():  # the rerun has the shim: no loop
        slow_fsync.rerun_with_slow_fsync(args.fsync_extra_us, sys.argv)
    if slow_fsync.extra_us():
        print(f"every fsync and fdatasync of this run waits {slow_fsync.extra_us()} µs more "
              "than the disk needs (bench/slow_fsync.py)")
    if args.fsyncs_child:
        fsyncs_child(args.fsyncs_child[0], int(args.fsyncs_child[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="queue-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        public = write_keypair(work / "portal.key", work / "portal.pub")
        names = ["raw fsync", "plain table put (ceiling)", "outbox store",
                 "outbox enqueue (sign+seal)", "persist-queue put", "huey put",
                 "plain table take+delete (ceiling)", "outbox drain 1 by 1",
                 "outbox drain 1 by 1, ack fsynced", "outbox drain batch 50",
                 "persist-queue get+ack", "huey dequeue (no ack)"]
        runs: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(args.rounds):
            n = args.n
            runs["raw fsync"].append(raw_fsync(work, n))
            put, take = plain_table(work, n)
            runs["plain table put (ceiling)"].append(put)
            runs["plain table take+delete (ceiling)"].append(take)
            runs["outbox store"].append(outbox_put(work, n, public, sealed=False))
            runs["outbox enqueue (sign+seal)"].append(outbox_put(work, n, public, sealed=True))
            put, take = persist_queue(work, n)
            runs["persist-queue put"].append(put)
            runs["persist-queue get+ack"].append(take)
            put, take = huey_storage(work, n)
            runs["huey put"].append(put)
            runs["huey dequeue (no ack)"].append(take)
            runs["outbox drain 1 by 1"].append(outbox_drain(work, n, public, 1))
            runs["outbox drain 1 by 1, ack fsynced"].append(
                outbox_drain(work, n, public, 1, ack_fsync=True))
            runs["outbox drain batch 50"].append(outbox_drain(work, n, public, 50))
        median = {name: statistics.median(values) for name, values in runs.items()}
        floor = median["raw fsync"]
        print(f"{'durable operation':<34} {'per second':>11} {'÷ raw fsync':>12}   (median of "
              f"{args.rounds} interleaved rounds, {args.n} × 2 KB; drains: take + acknowledge, "
              "the acknowledgement not fsynced unless said)")
        for name in names:
            print(f"{name:<34} {median[name]:>11,.0f} {median[name] / floor:>12.2f}")
        curve = {backlog: take_ack_curve(work, backlog, public) for backlog in (200, 2000, 20000)}
        print("\nµs per operation, backlog owned by 12 citizens (one run; take+ack CPU: "
              "no checkpoint, so no fsync at all: the part that must stay flat)")
        print(f"{'pending':>8} " + " ".join(f"{name:>28}" for name in curve[200]))
        for backlog, figures in curve.items():
            print(f"{backlog:>8,} " + " ".join(f"{value:>28,.1f}" for value in figures.values()))
        flat = curve[20000]["take+ack CPU"] / curve[200]["take+ack CPU"]
        print(f"take+ack CPU at 20,000 ÷ at 200: {flat:.2f} (target ≤ 1.2)")
        store_pages, ack_pages = wal_pages(work, public)
        print(f"\noutbox WAL pages written per durable store {store_pages:.1f}, per take+ack "
              f"{ack_pages:.1f} (4 KiB each, one commit each)")
        counts = count_fsyncs()
        if counts:
            print("\nfsync/fdatasync calls per operation (strace):  " + ",  ".join(
                f"{kind} {value:.2f}" for kind, value in counts.items()))
        elapsed, cpu, received = drain_to_simulator(work, args.backlog)
        print(f"{args.backlog:,} backlog drained to the portal simulator on 127.0.0.1 in "
              f"{elapsed:.2f} s ({args.backlog / elapsed:,.0f}/s; portal holds {received:,}; "
              f"target ≤ 5 s); the kiosk's own CPU in it {cpu:.2f} s "
              f"({cpu / args.backlog * 1e3:.2f} ms an entry), the rest is the simulator "
              "opening and checking each envelope and storing it")
        if args.flap:
            flap(work, args.flap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
