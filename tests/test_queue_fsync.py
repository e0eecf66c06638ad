"""One fsync per durable submission and none per acknowledgement, counted by strace.

The figure that carries over from this machine's disk to a kiosk's eMMC is
not a rate but the number of syncs per operation. A child process runs the
outbox twice from the same start, once with 1 operation and once with
1 + N; the difference of the two strace counts is the syncs of N
operations, with the set-up (keys, schema, backlog) cancelled out.

An acknowledgement needs no fsync of its own: one lost to a power cut sends
the entry again under its idempotency key (tests/test_queue_power_cut.py).
The backlog and the 21 acknowledgements stay under SQLite's automatic
checkpoint (1,000 WAL pages), whose syncs would otherwise land in the count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = 20

CHILD = """
import sys
from pathlib import Path
from kiosk.sealing import write_keypair
from offline_queue.outbox import Outbox

work, kind, ops = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
box = Outbox(work / "s", kiosk_id="k", portal_public_key=write_keypair(work / "k", work / "p"))
request = {"service_id": "letter-to-agency", "personal_number": "01001012345",
           "values": {"body": "x" * 1500}}
prepared = [box.prepare(request) for _ in range(40 + ops)]
for entry in prepared[:40]:  # a backlog, so acknowledging never drains it (no compaction)
    box.commit(entry)
for i in range(ops):
    if kind == "enqueue":
        box.commit(prepared[40 + i])  # the durable half of enqueue; sealing writes nothing
    else:
        box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])
box.close()
"""


def _syncs(tmp_path: Path, kind: str, ops: int) -> int:
    work = tmp_path / f"{kind}-{ops}"
    work.mkdir()
    trace = work / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", str(trace),
         sys.executable, "-c", CHILD, str(work), kind, str(ops)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip(f"strace cannot trace here (ptrace not permitted): {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    lines = trace.read_text().splitlines()
    return sum(1 for line in lines if "fsync(" in line or "fdatasync(" in line)


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace is not installed (Debian package strace); the fsync count "
                           "per operation cannot be measured without it")
@pytest.mark.parametrize(("kind", "syncs_each"), [("enqueue", 1.0), ("take+ack", 0.0)])
def test_syncs_per_operation(tmp_path, kind, syncs_each):
    base = _syncs(tmp_path, kind, 1)
    more = _syncs(tmp_path, kind, 1 + OPERATIONS)
    assert base > 0  # the trace saw the set-up's own syncs: it counts at all
    assert (more - base) / OPERATIONS == syncs_each, (kind, base, more)
