"""What the hidden maintenance screen can do, as plain methods (no Kivy here).

The Kivy screen draws buttons and calls these; the same methods are what
the tests drive. Every action:
- is written to the audit log (`kiosk.audit`) with its outcome, and never
  with personal data or a PIN;
- returns an `ActionResult` instead of raising, because a technician's
  button must not be able to crash the kiosk;
- works with whatever parts exist: a kiosk without a printer answers
  "not available" to a test print rather than failing.

Most actions touch a device or the network and may block for seconds: the
screen calls them through `run_in_background`, never on the UI thread.

Opening the screen goes through `open_with_pin`, which uses the
`TechnicianGate` (doubling lockouts) and audits every attempt, right or
wrong, but not the PIN.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.action_result import ActionResult, not_available
from kiosk.heap import resident_mb
from kiosk.i18n import N_
from kiosk.logs import redact
from kiosk.recent_errors import RecentErrors

log = logging.getLogger("kiosk.maintenance")

# systemd restarts the kiosk whatever the code (Restart=always); a code of its
# own tells a technician reading `systemctl status` that it was asked for.
RESTART_EXIT_CODE = 75  # EX_TEMPFAIL
SETTINGS_FILE = "maintenance-settings.json"


class Maintenance:
    """The maintenance actions over a `KioskController`'s parts, each one audited."""

    def __init__(self, controller: Any, audit: Any, *, gate: Any = None, probe: Any = None,
                 recent_errors: RecentErrors | None = None,
                 exit_process: Callable[[int], None] = os._exit,
                 started_at: float | None = None) -> None:
        self.controller = controller
        self.parts = controller.parts
        self.audit = audit
        self.gate = gate
        self.probe = probe
        self.recent_errors = recent_errors if recent_errors is not None else RecentErrors.install()
        self._exit = exit_process
        self.started_at = started_at if started_at is not None else time.monotonic()
        self.is_open = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maintenance")
        self.apply_saved_settings()

    # ------------------------------------------------------------ plumbing
    def run_in_background(self, action: Callable[..., ActionResult], *args: Any,
                          done: Callable[[ActionResult], None] | None = None) -> Future[ActionResult]:
        """Run ``action`` on the maintenance worker; ``done`` is called on that worker's thread
        (the screen hops to its own thread). One action at a time: two taps do not print twice
        at once."""
        future = self._worker.submit(action, *args)
        if done is not None:
            future.add_done_callback(lambda f: done(f.result()))
        return future

    def _audited(self, action: str, work: Callable[[], ActionResult], *, record: bool = True,
                 **details: Any) -> ActionResult:
        try:
            result = work()
        except Exception as exc:  # the button's promise: an answer, never a crash
            log.warning("maintenance action %s failed: %s", action, type(exc).__name__)
            result = ActionResult(action, False, N_("failed: {error}"),
                                  values={"error": type(exc).__name__})
        if record:
            self._record(action, ok=result.ok, available=result.available, **details)
        return result

    def _record(self, action: str, **details: Any) -> None:
        try:
            self.audit.append(action, **details)
        except ValueError:
            raise  # personal data in the details: a bug to be caught by tests
        except Exception as exc:
            # A full disk must not stop a technician from fixing the kiosk; the log says so.
            log.error("audit entry for %s not written: %s", action, type(exc).__name__)

    # ------------------------------------------------------------ the door
    def open_with_pin(self, pin: bytearray) -> Any:
        """Check the technician PIN (buffer wiped); the screen opens on `Accepted`."""
        from kiosk.technician import Accepted, Disabled, TechnicianGate

        if self.gate is None:
            self.gate = TechnicianGate.from_config(self.controller.config)
        result = self.gate.check(pin)
        self.is_open = isinstance(result, Accepted)
        if self.is_open:
            self.controller.enter_maintenance()  # the visit ends; cards are ignored until leave()
        kind = type(result).__name__
        if not isinstance(result, Disabled):
            self._record("open", result=kind, seconds_locked=round(getattr(result, "seconds_left", 0)))
        return result

    def leave(self) -> ActionResult:
        """Back to serving citizens: the attract screen, language reset."""
        def work() -> ActionResult:
            self.is_open = False
            self.controller.leave_maintenance()
            machine = self.controller.machine
            if str(machine.state) == "out_of_service" and self.controller.config_error is None:
                machine.back_in_service()
            return ActionResult("leave", True, N_("back in service"))
        return self._audited("leave", work)

    # ------------------------------------------------------------ looking
    def status_report(self, audit: bool = True, live_portal: bool = True) -> ActionResult:
        """Everything a technician checks first, on one screen (no personal data).

        The screen's periodic refresh passes ``audit=False`` (a refresh is not
        a technician's action and would bury the real ones) and
        ``live_portal=False`` (the probe's last answer: asking a portal that is
        down holds this worker for the client's time-outs, and every button
        would wait behind it).
        """
        def work() -> ActionResult:
            report = {"version": __version__, "kiosk_id": self.controller.config.kiosk.id,
                      "uptime_s": round(time.monotonic() - self.started_at),
                      "reader": self._reader_report(), "printer": self._printer_report(),
                      "portal": self._portal_report(live_portal), "queue": self._queue_report(),
                      "disk": self._disk_report(), "memory": self._memory_report(),
                      "recent_errors": self.recent_errors.recent()}
            return ActionResult("status_report", True, N_("status collected"), report)
        return self._audited("status_report", work, record=audit)

    def _reader_report(self) -> dict[str, Any]:
        reader = self.parts.reader
        report: dict[str, Any] = {"status": str(self.controller.status.reader)}
        state = getattr(reader, "state", None)
        if state is not None:
            atr = getattr(state, "atr", None)
            card = getattr(state, "card", None)
            report.update(status=str(state.status), reader=getattr(state, "reader", None),
                          atr=atr.hex(" ").upper() if atr else None,
                          profile=getattr(getattr(card, "profile", None), "name", None),
                          detail=redact(str(getattr(state, "detail", "")))[:200])
        return report

    def _printer_report(self) -> dict[str, Any]:
        printer = self.parts.printer
        if printer is None:
            return {"status": "not configured"}
        try:
            return {"status": str(printer.status(timeout_s=1.0))}
        except Exception as exc:
            return {"status": "offline", "error": type(exc).__name__}

    def _portal_report(self, live: bool = True) -> dict[str, Any]:
        if self.probe is not None:
            if live:
                self.probe.probe()
            latency = self.probe.latency_s
            return {"up": self.probe.up, "error": self.probe.error,
                    "latency_ms": None if latency is None else round(latency * 1000, 1)}
        network = self.parts.network
        if network is not None:
            return {"up": bool(network.check_now()), "latency_ms": None}
        return {"up": None, "latency_ms": None, "error": "no portal check configured"}

    def _queue_report(self) -> dict[str, Any]:
        outbox = self.parts.outbox
        if outbox is None:
            return {"available": False}
        stats = outbox.stats()
        dead_refs = [e.local_ref for e in outbox.entries("dead", 20)]  # what "retry" will resend
        return {"available": True, "pending": stats["pending"], "dead": stats["dead"], "dead_refs": dead_refs,
                "oldest_pending_age_s": stats["oldest_pending_age_s"],
                "forwarder_waiting_s": getattr(self.parts.forwarder, "waiting_s", None)}

    def _disk_report(self) -> dict[str, Any]:
        storage = Path(self.controller.config.storage.dir)
        try:
            usage = shutil.disk_usage(storage)
        except OSError as exc:
            return {"path": str(storage), "error": type(exc).__name__}
        return {"path": str(storage), "free_mb": usage.free // (1024 * 1024),
                "min_free_mb": self.controller.config.storage.min_free_mb}

    def _memory_report(self) -> dict[str, Any]:
        """Resident memory beside the limit above which the kiosk restarts between
        citizens (kiosk/heap.py), so a technician sees how close it runs."""
        return {"resident_mb": round(resident_mb(), 1),
                "restart_above_mb": self.controller.config.kiosk.restart_above_mb}

    # ------------------------------------------------------------ the printer
    def test_print(self, language: str | None = None) -> ActionResult:
        """A made-up receipt (no real person): paper, fonts, cutter. Not journaled."""
        if self.parts.printer is None:
            return self._audited("test_print", lambda: not_available("test_print", "printer"))

        def work() -> ActionResult:
            from devices.receipt import example_receipt

            lang = language or self.controller.machine.default_language
            self.parts.printer.print_receipt(example_receipt(lang))
            return ActionResult("test_print", True, N_("test receipt printed"))
        return self._audited("test_print", work)

    def recent_receipts(self, n: int = 10) -> ActionResult:
        """The journal's newest receipts (metadata only) for the reprint list."""
        journal = self.parts.journal
        if journal is None:
            return not_available("recent_receipts", "receipt journal")
        entries = [e.__dict__ for e in journal.recent(n)]
        return ActionResult("recent_receipts", True, N_("{count} receipts"), {"receipts": entries},
                            values={"count": len(entries)})

    def reprint(self, receipt_id: int) -> ActionResult:
        """Print one kept receipt again (the citizen is often still standing there)."""
        if self.parts.journal is None or self.parts.printer is None:
            return self._audited("reprint", lambda: not_available(
                "reprint", "receipt journal" if self.parts.journal is None else "printer"),
                receipt_id=receipt_id)

        def work() -> ActionResult:
            from kiosk.receipt_journal import reprint

            reprint(self.parts.journal, self.parts.printer, receipt_id)
            return ActionResult("reprint", True, N_("receipt {receipt_id} printed again"),
                                values={"receipt_id": receipt_id})
        return self._audited("reprint", work, receipt_id=receipt_id)

    def reprint_recent(self, n: int = 1) -> ActionResult:
        """Reprint the newest ``n`` receipts, oldest of them first; stops at the first failure."""
        if self.parts.journal is None or self.parts.printer is None:
            return self._audited("reprint_recent", lambda: not_available(
                "reprint_recent", "receipt journal" if self.parts.journal is None else "printer"), n=n)

        def work() -> ActionResult:
            from kiosk.receipt_journal import reprint

            ids = [e.id for e in reversed(self.parts.journal.recent(n))]
            done: list[int] = []
            for receipt_id in ids:
                try:
                    reprint(self.parts.journal, self.parts.printer, receipt_id)
                except Exception as exc:
                    return ActionResult("reprint_recent", False,
                                        N_("receipt {receipt_id} not printed: {error}"),
                                        {"printed": done, "failed": receipt_id},
                                        values={"receipt_id": receipt_id, "error": type(exc).__name__})
                done.append(receipt_id)
            return ActionResult("reprint_recent", True, N_("{count} receipts printed again"),
                                {"printed": done}, values={"count": len(done)})
        return self._audited("reprint_recent", work, n=n)

    # ------------------------------------------------------------ the queue
    def send_queue_now(self) -> ActionResult:
        """Wake the forwarder now (it still honours a Retry-After the portal asked for)."""
        forwarder = self.parts.forwarder
        if forwarder is None:
            return self._audited("send_queue_now", lambda: not_available("send_queue_now", "forwarder"))

        def work() -> ActionResult:
            if self.parts.network is not None:
                self.parts.network.poke()
            forwarder.send_now()
            pending = self.parts.outbox.count("pending") if self.parts.outbox is not None else None
            return ActionResult("send_queue_now", True, N_("sending started"), {"pending": pending})
        return self._audited("send_queue_now", work)

    def retry_dead(self, ref: str) -> ActionResult:
        """Send one dead letter again, by local reference or row number."""
        outbox = self.parts.outbox
        if outbox is None:
            return self._audited("retry_dead", lambda: not_available("retry_dead", "outbox"), ref=ref)

        def work() -> ActionResult:
            entry = outbox.retry(ref)
            if entry is None:
                return ActionResult("retry_dead", False, N_("no dead letter {ref}"), values={"ref": ref})
            return ActionResult("retry_dead", True, N_("{ref} will be sent again"),
                                values={"ref": entry.local_ref})
        return self._audited("retry_dead", work, ref=ref)

    def export_dead(self, path: str | os.PathLike[str]) -> ActionResult:
        """Dead letters (sealed, as `kiosk queue export`) to a file only the kiosk user can read."""
        outbox = self.parts.outbox
        if outbox is None:
            return self._audited("export_dead", lambda: not_available("export_dead", "outbox"))

        def work() -> ActionResult:
            from kiosk.commands.queue import export

            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                count = export(outbox, "dead", out)
                out.flush()
                os.fsync(out.fileno())
            return ActionResult("export_dead", True, N_("{count} dead letters written"), {"count": count},
                                values={"count": count})
        return self._audited("export_dead", work, path=os.fspath(path))

    # ------------------------------------------------------------ the card
    def test_card(self) -> ActionResult:
        """The card in the reader: ATR, profile, certificate subject, PIN tries left.

        Never asks for, sends or touches a PIN. The subject is shown on the
        technician's screen only (it names the card's holder): the audit
        log and the logs get the ATR, profile and tries, not the subject.
        """
        reader = self.parts.reader
        state = getattr(reader, "state", None)
        if reader is None or state is None:
            return self._audited("test_card", lambda: not_available("test_card", "card reader"))
        card = getattr(state, "card", None)
        atr = state.atr.hex(" ").upper() if getattr(state, "atr", None) else None
        profile = getattr(getattr(card, "profile", None), "name", None)

        def work() -> ActionResult:
            if card is None:
                return ActionResult("test_card", False, N_("no readable card: {status}"),
                                    {"status": str(state.status), "atr": atr},
                                    values={"status": str(state.status)})
            from cryptography import x509

            certificate = x509.load_der_x509_certificate(card.read_auth_certificate())
            tries = int(card.pin_tries_left())
            return ActionResult("test_card", True, N_("card read"), {
                "atr": atr, "profile": profile, "pin_tries_left": tries,
                "subject": certificate.subject.rfc4514_string(),
                "not_after": certificate.not_valid_after_utc.isoformat()})
        return self._audited("test_card", work, atr=atr, profile=profile)

    # ------------------------------------------------------------ the kiosk
    def set_default_language(self, language: str) -> ActionResult:
        """The language every visit starts in; kept in the storage dir over restarts
        (the configuration file is read-only under the service's sandbox)."""
        def work() -> ActionResult:
            allowed = self.controller.config.kiosk.languages
            if language not in allowed:
                return ActionResult("set_default_language", False,
                                    N_("{language} is not one of this kiosk's languages: {allowed}"),
                                    values={"language": repr(language), "allowed": ", ".join(allowed)})
            self._apply_language(language)
            self._save_settings({"default_language": language})
            return ActionResult("set_default_language", True, N_("visits now start in {language}"),
                                values={"language": language})
        return self._audited("set_default_language", work, language=language)

    def _apply_language(self, language: str) -> None:
        machine = self.controller.machine
        machine.default_language = language
        if str(machine.state) == "attract":
            self.controller.select_language(language)

    def apply_saved_settings(self) -> None:
        """At start: the technician's choices win over the configuration's defaults."""
        path = Path(self.controller.config.storage.dir) / SETTINGS_FILE
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("maintenance settings unreadable: %s", type(exc).__name__)
            return
        language = saved.get("default_language")
        if language in self.controller.config.kiosk.languages:
            self._apply_language(language)

    def _save_settings(self, changes: dict[str, Any]) -> None:
        path = Path(self.controller.config.storage.dir) / SETTINGS_FILE
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = {}
        tmp = path.with_name(SETTINGS_FILE + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({**current, **changes}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def restart_app(self) -> ActionResult:
        """Stop cleanly and exit; systemd's Restart=always starts the kiosk again in RestartSec.

        The audit entry is written first (it is durable before the exit).
        """
        self._record("restart_app", ok=True, exit_code=RESTART_EXIT_CODE)
        try:
            self.controller.notifier.stopping()
            self.controller.stop()
        except Exception as exc:
            log.warning("stopping before the restart failed: %s", type(exc).__name__)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: S110 - a closed stream must not stop the restart
                pass
        self._exit(RESTART_EXIT_CODE)
        return ActionResult("restart_app", True, N_("restarting"))

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
