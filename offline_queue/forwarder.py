"""The forwarder: a background thread that moves outbox entries to the portal.

It never runs on the UI thread and never decides anything the portal has
not said: an entry is delivered only on the portal's receipt, dead only on
the portal's refusal, and everything else (no answer, 5xx, 408, 429, 409)
means "again later", always with the idempotency key made at enqueue, so a
repeat after a lost answer gets the first receipt back instead of a
second transaction.

Back-off is per portal, not per entry, when the portal as a whole is
failing: exponential with jitter (so a hall of kiosks coming back online
does not knock together), never shorter than the portal's Retry-After.
A 409 ("that key is still being processed") holds back only its entry.
Nothing about the in-flight state is written to disk: a crash mid-send
leaves the entry pending and the next attempt repeats it under the same
key, which saves a second fsync per entry.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.logs import event
from kiosk.portal.errors import (
    PortalConflict,
    PortalError,
    PortalOffline,
    PortalRejected,
    PortalServerError,
)
from offline_queue.entry import QueuedEntry
from offline_queue.outbox import Outbox

log = logging.getLogger("kiosk.queue")

DELIVERED = (200, 201)
RETRYABLE_4XX = (408, 429)
# The longest Retry-After honoured: a broken header must not park the kiosk (or an entry) for days.
MAX_RETRY_AFTER_S = 3600.0


class SubmissionClient(Protocol):
    """The part of `kiosk.portal.client.PortalClient` the forwarder uses."""

    def submit_transaction(self, idempotency_key: str,
                           submission: dict[str, Any]) -> dict[str, Any]: ...

    def submit_batch(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]: ...


class OnlineHint(Protocol):
    """What the forwarder asks of `network.NetworkMonitor`."""

    @property
    def is_online(self) -> bool: ...

    def subscribe(self, listener: Callable[[bool], None]) -> Callable[[], None]: ...


@dataclass(frozen=True)
class ForwarderEvent:
    """What happened to one entry; the result screen waits for ``delivered``."""

    kind: str  # "delivered" | "dead" | "retry"
    local_ref: str
    portal_ref: str | None = None
    code: str | None = None
    reason: str | None = None


def _as_dict(value: Any) -> dict[str, Any]:
    """``value`` if the portal sent an object there, else an empty one."""
    return value if isinstance(value, dict) else {}


def _item_status(result: dict[str, Any]) -> int:
    """A batch item's HTTP status, or 0 (still owed) when it is not a number."""
    try:
        return int(result.get("status", 0))
    except (TypeError, ValueError, OverflowError):
        return 0


class Forwarder:
    """Sends pending outbox entries to the portal from its own thread."""

    def __init__(
        self,
        outbox: Outbox,
        client: SubmissionClient,
        network: OnlineHint | None = None,
        *,
        batch_size: int = 50,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        idle_poll_s: float = 60.0,
        outside_check_s: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.network = network
        self.batch_size = batch_size
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.idle_poll_s = idle_poll_s
        # A technician's `kiosk queue retry` writes from another process: no listener
        # wakes us, so an idle wait looks at the database this often.
        self.outside_check_s = outside_check_s
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[ForwarderEvent], None]] = []
        self._failures = 0  # consecutive portal-wide failures
        self._backoff_until = 0.0  # monotonic; send_now() may cut it short
        self._retry_after_until = 0.0  # monotonic; the portal asked for it, nobody cuts it
        self._unsubscribe_network: Callable[[], None] | None = None
        outbox.on_enqueue(lambda _entry: self._wake.set())

    # --- control ------------------------------------------------------------

    def start(self) -> Forwarder:
        if self._thread is not None:
            return self
        if self.network is not None:
            self._unsubscribe_network = self.network.subscribe(
                lambda online: self.send_now() if online else None)
        self._thread = threading.Thread(target=self._run, name="outbox-forwarder", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the request in progress; an unsent entry simply stays pending."""
        self._stopping.set()
        self._wake.set()
        if self._unsubscribe_network:
            self._unsubscribe_network()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def send_now(self) -> None:
        """Try at once (network back, technician's button), except where the portal said wait."""
        self._backoff_until = 0.0
        self._wake.set()

    def subscribe(self, listener: Callable[[ForwarderEvent], None]) -> Callable[[], None]:
        """Call ``listener`` from the forwarder thread on each outcome; returns an unsubscribe.

        Screens must hop to their own thread (Kivy's Clock) before touching widgets.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @property
    def waiting_s(self) -> float:
        """How long the forwarder will still hold back because of failures (0: not at all)."""
        return max(0.0, max(self._backoff_until, self._retry_after_until) - time.monotonic())

    # --- the loop -----------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                timeout = self._next_wait()
                if timeout > 0:
                    self._wait(timeout)
                    continue
                # Cleared before looking at the outbox: an enqueue from now on
                # sets it again and is seen by the next round.
                self._wake.clear()
                self.forward_once()
            except Exception:  # the thread must outlive any one bad round
                log.exception("forwarder round failed")
                self._note_failure(None)

    def _wait(self, timeout: float) -> None:
        """Sleep until woken or ``timeout``, ending early when another process changed the outbox."""
        deadline = time.monotonic() + timeout
        self.outbox.changed_elsewhere()  # what we know now
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self._wake.wait(min(left, self.outside_check_s)):
                break
            if self.outbox.changed_elsewhere():
                break
        self._wake.clear()

    def _next_wait(self) -> float:
        """Seconds to sleep before the next round; 0 means go now."""
        wait = self.waiting_s
        if wait > 0:
            return wait
        if self.network is not None and not self.network.is_online:
            # The monitor wakes us (send_now) when the portal answers again;
            # the timeout is the fallback if the monitor is wrong.
            return self.max_delay_s if not self._wake.is_set() else 0.0
        due_at = self.outbox.next_due_at()
        if due_at is None:
            return 0.0 if self._wake.is_set() else self.idle_poll_s
        return max(0.0, min(due_at - time.time(), self.idle_poll_s))

    def forward_once(self) -> int:
        """One round: send what is due (one request); return how many were delivered."""
        entries = self.outbox.due_entries(self.batch_size)
        if not entries:
            return 0
        try:
            if len(entries) == 1:
                return self._send_single(entries[0])
            return self._send_batch(entries)
        except BaseException:
            self.outbox.release([entry.id for entry in entries])
            raise

    def _send_single(self, entry: QueuedEntry) -> int:
        try:
            body = self.client.submit_transaction(entry.idempotency_key, entry.submission())
        except PortalConflict as exc:
            self._hold_back([entry], "in_progress", str(exc), exc.retry_after_s)
            self._note_success()  # the portal answered: it is up
            return 0
        except PortalRejected as exc:
            if exc.status in RETRYABLE_4XX:
                self._portal_failed([entry], f"http_{exc.status}", str(exc), None)
            else:
                self._dead(entry, exc.code or f"http_{exc.status}", exc.reason or str(exc))
                self._note_success()
            return 0
        except PortalServerError as exc:
            self._portal_failed([entry], f"http_{exc.status}", str(exc), exc.retry_after_s)
            return 0
        except PortalOffline as exc:
            self._portal_failed([entry], "offline", str(exc), None)
            return 0
        except PortalError as exc:  # unauthorised and the like: not for submissions
            self._portal_failed([entry], type(exc).__name__, str(exc), None)
            return 0
        self._delivered([(entry, str(_as_dict(body).get("reference", "")))])
        self._note_success()
        return 1

    def _send_batch(self, entries: list[QueuedEntry]) -> int:
        try:
            results = self.client.submit_batch(
                [(entry.idempotency_key, entry.submission()) for entry in entries])
        except PortalServerError as exc:
            self._portal_failed(entries, f"http_{exc.status}", str(exc), exc.retry_after_s)
            return 0
        except PortalError as exc:
            self._portal_failed(entries, type(exc).__name__, str(exc),
                                getattr(exc, "retry_after_s", None))
            return 0
        self._note_success()
        # The answer is the portal's word, but not always well formed: an item
        # whose result is missing or junk is still owed, never lost.
        by_key = {result.get("idempotency_key"): result
                  for result in (results if isinstance(results, list) else [])
                  if isinstance(result, dict) and isinstance(result.get("idempotency_key"), str)}
        delivered: list[tuple[QueuedEntry, str]] = []
        again: list[QueuedEntry] = []
        for entry in entries:
            result = by_key.get(entry.idempotency_key) or {}
            status = _item_status(result)
            body = _as_dict(result.get("body"))
            if status in DELIVERED:
                delivered.append((entry, str(body.get("reference", ""))))
            elif status == 409:
                self._hold_back([entry], "in_progress", "still being processed", None)
            elif 400 <= status < 500 and status not in RETRYABLE_4XX:
                error = _as_dict(body.get("error"))
                self._dead(entry, str(error.get("code") or f"http_{status}"),
                           str(error.get("message") or "refused by the portal"))
            else:  # 5xx, 408, 429 or a missing result: the item is still owed
                again.append(entry)
        self._delivered(delivered)
        if again:
            self.outbox.mark_retry([entry.id for entry in again], "batch_item",
                                   "the portal did not take this item yet")
            if not delivered:
                self._note_failure(None)  # answered, but took nothing: do not spin
        return len(delivered)

    # --- outcomes -----------------------------------------------------------

    def _delivered(self, pairs: list[tuple[QueuedEntry, str]]) -> None:
        if not pairs:
            return
        self.outbox.mark_delivered([(entry.id, ref) for entry, ref in pairs])
        event(log, "submissions delivered", count=len(pairs),
              refs=",".join(entry.local_ref for entry, _ in pairs[:5]))
        for entry, ref in pairs:
            self._emit(ForwarderEvent("delivered", entry.local_ref, portal_ref=ref))

    def _dead(self, entry: QueuedEntry, code: str, reason: str) -> None:
        self.outbox.mark_dead(entry.id, code, reason)
        log.warning("submission refused by the portal; kept for a technician",
                    extra={"fields": {"local_ref": entry.local_ref, "code": code}})
        self._emit(ForwarderEvent("dead", entry.local_ref, code=code, reason=reason))

    def _hold_back(self, entries: list[QueuedEntry], code: str, reason: str,
                   retry_after_s: float | None) -> None:
        """Only these entries wait (409): the rest of the queue goes on."""
        for entry in entries:
            delay = max(min(retry_after_s or 0.0, MAX_RETRY_AFTER_S), self._jittered(entry.attempts + 1))
            self.outbox.mark_retry([entry.id], code, reason, time.time() + delay)
            self._emit(ForwarderEvent("retry", entry.local_ref, code=code, reason=reason))

    def _portal_failed(self, entries: list[QueuedEntry], code: str, reason: str,
                       retry_after_s: float | None) -> None:
        self.outbox.mark_retry([entry.id for entry in entries], code, reason)
        self._note_failure(retry_after_s)
        event(log, "portal did not take submissions; will retry", code=code,
              count=len(entries), wait_s=round(self.waiting_s, 2))
        for entry in entries:
            self._emit(ForwarderEvent("retry", entry.local_ref, code=code, reason=reason))

    def _jittered(self, failures: int) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** max(0, failures - 1))
        return self._rng.uniform(ceiling / 2, ceiling)

    def _note_failure(self, retry_after_s: float | None) -> None:
        self._failures += 1
        now = time.monotonic()
        self._backoff_until = now + self._jittered(self._failures)
        if retry_after_s:
            self._retry_after_until = now + min(float(retry_after_s), MAX_RETRY_AFTER_S)

    def _note_success(self) -> None:
        self._failures = 0
        self._backoff_until = 0.0

    def _emit(self, item: ForwarderEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:  # a screen's bug must not stop deliveries
                log.exception("forwarder listener failed")
