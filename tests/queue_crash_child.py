"""A zygote for the kill -9 test: imports once, then forks a worker per round.

Starting Python with cryptography and requests takes ~0.3 s; forking a
process that has already imported them takes ~2 ms, so a hundred kills fit
in a few seconds and every kill lands in the outbox's or forwarder's work,
not in the interpreter's start-up.

Protocol on stdin/stdout, one line each:
  ``enqueue SEED`` | ``mixed SEED`` | ``forward SEED`` -> ``pid PID`` once the
  worker has its outbox and forwarder open (so the test's random delay before
  the kill falls in the work, however slow a loaded machine opens them), then,
  once the worker is dead (killed by the test), ``done STATUS``.
Each worker appends ``LOCAL_REF IDEMPOTENCY_KEY`` to the refs file only after
`Outbox.enqueue` returned: that is the moment the citizen is told "accepted".
"""

from __future__ import annotations

import os
import random
import sys
import time

from kiosk.portal.client import PortalClient
from kiosk.sealing import load_public_key
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox, OutboxError


def work(mode: str, seed: int, storage: str, url: str, public_key: str, refs_path: str,
         ready: int) -> None:
    rng = random.Random(seed)
    while True:
        try:
            box = Outbox(storage, kiosk_id="crash-kiosk",
                         portal_public_key=load_public_key(public_key))
            break
        except OutboxError:  # the previous worker's lock is not yet released
            time.sleep(0.001)
    refs = os.open(refs_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    client = PortalClient(url, connect_timeout_s=1, read_timeout_s=2, kiosk_id="crash-kiosk")
    forwarder = Forwarder(box, client, base_delay_s=0.01, max_delay_s=0.05, batch_size=20)
    if mode == "mixed":
        forwarder.start()
    os.write(ready, b"r")
    n = 0
    while True:
        if mode == "forward":
            forwarder.forward_once()
            continue
        pn = f"0100900{rng.randrange(12):04d}"
        entry = box.enqueue({"service_id": "letter-to-agency", "personal_number": pn,
                             "language": "ka", "values": {"n": n, "seed": seed}})
        os.write(refs, f"{entry.local_ref} {entry.idempotency_key}\n".encode())
        n += 1


def main() -> None:
    storage, url, public_key, refs_path = sys.argv[1:5]
    for line in sys.stdin:
        mode, seed = line.split()
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(ready_r)
                work(mode, int(seed), storage, url, public_key, refs_path, ready_w)
            finally:
                os._exit(3)  # never fall back into the zygote's loop
        os.close(ready_w)
        os.read(ready_r, 1)  # b"" if the worker died before it was ready: the test sees its status
        os.close(ready_r)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"done {status}", flush=True)


if __name__ == "__main__":
    main()
