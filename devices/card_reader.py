"""The card reader service: one background loop that watches PC/SC and hands out cards.

Modelled on VotingWorks' card reader: the reader is a value with a few
statuses (`ReaderStatus`), pushed to ONE callback and only when they change;
only a ``ready`` state carries an `EidCard`, so nothing can talk to a card
that is not there. Each insertion gets a fresh ``card_session_id``: a card
pulled and another pushed in, however fast, is a different visit.

Why not pyscard's CardMonitor: it dies for good when pcscd restarts and has
missed a card already present at start (research/pcsc-testing.md). This
loop uses SCardGetStatusChange with a short timeout plus the
``\\\\?PnP?\\Notification`` pseudo reader, and re-establishes its PC/SC
context after any transport error, so an unplugged reader or a restarted
pcscd heals without a technician.

Two PC/SC contexts are used on purpose: pcsc-lite serialises calls per
context, so a blocking SCardGetStatusChange on the same context would hold
up the login thread's SCardTransmit. The card is opened EXCLUSIVE (nobody
else may talk to it while a citizen's PIN is verified on it) and stale
handles are disconnected explicitly (a garbage-collected handle powers the
card off under the next one).

All 61xx / 6Cxx handling happens in `devices.card_session.CardSession.transmit`, the only path to
the card. APDU bytes are never logged.

Core API (used by kiosk.controller):
    service = CardReaderService(on_change, reader_name=cfg.reader.name,
                                allow_test_cards=cfg.reader.allow_virtual_reader)
    service.start(); ...; service.stop()
    on_change(ReaderState(status, reader, card, card_session_id, atr, detail))
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from smartcard import scard

from devices.card_session import STATE_COUNTER_SHIFT, CardSession, error_message
from devices.eid.card import (
    CardError,
    CardRemovedError,
    EidCard,
    UnknownCardError,
    card_for_atr,
)
from kiosk.logs import event

log = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"


class ReaderStatus(enum.StrEnum):
    NO_READER = "no_reader"
    NO_CARD = "no_card"
    CARD_ERROR = "card_error"
    UNKNOWN_CARD = "unknown_card"
    READY = "ready"


@dataclass(frozen=True)
class ReaderState:
    """What the kiosk may know about the reader right now. ``detail`` is for technicians
    (never personal data); ``card`` is set only when ``status`` is READY."""

    status: ReaderStatus
    reader: str | None = None
    card: EidCard | None = None
    card_session_id: str | None = None
    atr: bytes | None = None
    detail: str = ""

    def same_as(self, other: ReaderState) -> bool:
        return (self.status, self.reader, self.card_session_id) == (
            other.status,
            other.reader,
            other.card_session_id,
        )


class _ContextLost(Exception):
    """pcscd went away (or its answers stopped making sense): start over."""


class CardReaderService:
    """Watches one reader in a background thread and reports `ReaderState` changes."""

    def __init__(
        self,
        on_change: Callable[[ReaderState], None],
        *,
        reader_name: str = "",
        allow_test_cards: bool = False,
        poll_ms: int = 250,
        connect_attempts: int = 3,
        warm_resets: int = 3,
        retry_interval_s: float = 0.25,
    ) -> None:
        self._on_change = on_change
        self.reader_name = reader_name
        self.allow_test_cards = allow_test_cards
        self.poll_ms = poll_ms
        self.connect_attempts = connect_attempts
        self.warm_resets = warm_resets
        self.retry_interval_s = retry_interval_s
        self._state = ReaderState(ReaderStatus.NO_READER, detail="not started")
        self._reported = False  # the first status is always reported
        self._session: CardSession | None = None
        self._context = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Monotonic time PC/SC last reported a new card, for the bench.
        self.card_seen_at: float | None = None

    @property
    def state(self) -> ReaderState:
        return self._state

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="card-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        context = self._context
        if context:
            with contextlib.suppress(Exception):
                scard.SCardCancel(context)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_session()

    def forget_pin(self) -> None:
        """Warm-reset the present card so a verified PIN does not outlive a visit."""
        session = self._session
        if session is not None and not session.closed:
            with contextlib.suppress(CardError):
                session.warm_reset()

    # -- the loop --------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._establish()
                self._watch()
            except _ContextLost as exc:
                self._lost(str(exc))
            except Exception as exc:  # the loop must outlive any surprise
                log.exception("card reader loop failed")
                self._lost(f"{type(exc).__name__}")
            finally:
                self._release_context()

    def _lost(self, why: str) -> None:
        self._close_session()
        self._set(ReaderState(ReaderStatus.NO_READER, detail=why))
        self._stopping.wait(self.retry_interval_s)

    def _establish(self) -> None:
        try:
            result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        except Exception as exc:  # pyscard raises instead of returning on some errors
            raise _ContextLost(f"no PC/SC service: {exc}") from None
        if result != scard.SCARD_S_SUCCESS:
            raise _ContextLost(f"no PC/SC service: {error_message(result)}")
        self._context = context

    def _release_context(self) -> None:
        context, self._context = self._context, 0
        if context:
            with contextlib.suppress(Exception):
                scard.SCardReleaseContext(context)

    def _watch(self) -> None:
        pnp_state = scard.SCARD_STATE_UNAWARE
        while not self._stopping.is_set():
            reader = self._pick_reader()
            if reader is None:
                self._close_session()
                self._set(ReaderState(ReaderStatus.NO_READER, detail="no reader connected"))
                result, states = scard.SCardGetStatusChange(
                    self._context, self.poll_ms, [(PNP_READER, pnp_state)]
                )
                self._check(result)
                if states:
                    pnp_state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                continue
            pnp_state = self._watch_reader(reader, pnp_state)

    def _watch_reader(self, reader: str, pnp_state: int) -> int:
        """Follow one reader until it or the reader list changes; returns the PnP state."""
        reader_state = scard.SCARD_STATE_UNAWARE
        first_look = True
        while not self._stopping.is_set():
            result, states = scard.SCardGetStatusChange(
                self._context, self.poll_ms, [(reader, reader_state), (PNP_READER, pnp_state)]
            )
            if result in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
                return pnp_state  # the reader left: list again
            self._check(result)
            if result == scard.SCARD_E_TIMEOUT:
                continue
            event_state = states[0][1]
            new_pnp = states[1][1]
            reader_state = event_state & ~scard.SCARD_STATE_CHANGED
            if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                return new_pnp & ~scard.SCARD_STATE_CHANGED
            self._reader_changed(reader, event_state, first_look=first_look)
            first_look = False
            if new_pnp & scard.SCARD_STATE_CHANGED and pnp_state != scard.SCARD_STATE_UNAWARE:
                return new_pnp & ~scard.SCARD_STATE_CHANGED  # readers added or removed
            pnp_state = new_pnp & ~scard.SCARD_STATE_CHANGED
        return pnp_state

    def _check(self, result: int) -> None:
        if result in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
            return
        if result == scard.SCARD_E_CANCELLED and self._stopping.is_set():
            return
        raise _ContextLost(error_message(result))

    def _pick_reader(self) -> str | None:
        result, readers = scard.SCardListReaders(self._context, [])
        if result == scard.SCARD_E_NO_READERS_AVAILABLE:
            return None
        if result != scard.SCARD_S_SUCCESS:
            raise _ContextLost(error_message(result))
        for name in readers:
            if self.reader_name in name:  # "" is in every name: the first reader
                return name
        return None

    def _reader_changed(self, reader: str, event_state: int, *, first_look: bool) -> None:
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        counter = (event_state >> STATE_COUNTER_SHIFT) & 0xFFFF
        session = self._session
        if not present:
            self._close_session()
            self._set(ReaderState(ReaderStatus.NO_CARD, reader=reader))
            return
        if session is not None and not session.closed and session.reader == reader and (
            session.event_counter == counter
        ):
            return  # same card; only in-use bits changed
        self._close_session()
        self.card_seen_at = time.monotonic()
        self._open_card(reader, counter, reset_first=first_look)

    # -- one card --------------------------------------------------------------------
    def _open_card(self, reader: str, counter: int, *, reset_first: bool) -> None:
        session = self._connect(reader, counter)
        if session is None:
            return
        self._session = session
        try:
            if reset_first:
                # A card that was in before we looked may carry a PIN verified by an
                # earlier process: start its session from a fresh security state.
                session.warm_reset()
            atr = session.atr()
            card = card_for_atr(atr, session, allow_test_cards=self.allow_test_cards)
        except UnknownCardError as exc:
            self._set(self._card_state(ReaderStatus.UNKNOWN_CARD, session, None, atr, str(exc)))
            return
        except CardRemovedError:
            self._close_session()
            self._set(ReaderState(ReaderStatus.NO_CARD, reader=reader))
            return
        except CardError as exc:
            self._set(self._card_state(ReaderStatus.CARD_ERROR, session, None, None, str(exc)))
            return
        for attempt in range(self.warm_resets + 1):
            try:
                card.activate()
                break
            except CardRemovedError:
                self._close_session()
                self._set(ReaderState(ReaderStatus.NO_CARD, reader=reader))
                return
            except CardError as exc:
                if attempt == self.warm_resets:
                    detail = f"card did not answer after {attempt} warm resets: {exc}"
                    self._set(self._card_state(ReaderStatus.CARD_ERROR, session, None, atr, detail))
                    return
                event(log, "card answered badly, warm reset", attempt=attempt + 1)
                try:
                    session.warm_reset()
                except CardError:
                    continue
        event(log, "card ready", profile=card.profile.name)
        self._set(self._card_state(ReaderStatus.READY, session, card, atr, ""))

    def _connect(self, reader: str, counter: int) -> CardSession | None:
        detail = ""
        for attempt in range(self.connect_attempts):
            if attempt:
                self._stopping.wait(0.05 * attempt)
            result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if result != scard.SCARD_S_SUCCESS:
                raise _ContextLost(error_message(result))
            result, handle, protocol = scard.SCardConnect(
                context,
                reader,
                scard.SCARD_SHARE_EXCLUSIVE,  # nobody else talks to a card with a verified PIN
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            if result == scard.SCARD_S_SUCCESS:
                return CardSession(reader, context, handle, protocol, counter)
            scard.SCardReleaseContext(context)
            if result in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
                self._set(ReaderState(ReaderStatus.NO_CARD, reader=reader))
                return None
            detail = error_message(result)
            event(log, "card connect failed", attempt=attempt + 1, error=detail)
        self._set(ReaderState(ReaderStatus.CARD_ERROR, reader=reader, detail=detail,
                              card_session_id=uuid.uuid4().hex))
        return None

    @staticmethod
    def _card_state(
        status: ReaderStatus, session: CardSession, card: EidCard | None, atr: bytes | None, detail: str
    ) -> ReaderState:
        return ReaderState(status, session.reader, card, session.card_session_id, atr, detail)

    def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def _set(self, state: ReaderState) -> None:
        if self._reported and state.same_as(self._state):
            return
        self._reported = True
        self._state = state
        event(log, "card reader status", status=state.status.value, detail=state.detail)
        try:
            self._on_change(state)
        except Exception:
            log.exception("card reader listener failed")
