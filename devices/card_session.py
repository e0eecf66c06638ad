"""One connection to one inserted card: the only path from card classes to PC/SC.

`CardSession.transmit` is the one place where a command becomes bytes on
the wire and an answer becomes a complete `Response` (61xx / 6Cxx are
followed in `devices.apdu.transmit_complete`), and where PC/SC failures are
named by meaning: `CardRemovedError` when the card left (asked of pcscd,
not guessed), `CardCommunicationError` otherwise. Each session has its own
PC/SC context, because pcsc-lite serialises calls per context and the
reader's monitoring loop blocks in SCardGetStatusChange on its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

from smartcard import scard

from devices.apdu import MalformedResponse, Response, transmit_complete
from devices.eid.card import CardCommunicationError, CardError, CardRemovedError

STATE_COUNTER_SHIFT = 16  # pcsc-lite keeps an insert/remove counter in the high word

# Answers meaning "this card session is over": the card left, was reset under
# us, or pcscd / the reader went away with it.
_SESSION_GONE = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
}


def error_message(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code)} (0x{code & 0xFFFFFFFF:08X})"


class CardSession:
    """One connection to one inserted card: the `Transport` the card classes use."""

    def __init__(self, reader: str, context: int, handle: int, protocol: int, event_counter: int) -> None:
        self.reader = reader
        self.card_session_id = uuid.uuid4().hex
        self.event_counter = event_counter
        self._context = context
        self._handle = handle
        self._protocol = protocol
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def atr(self) -> bytes:
        with self._lock:
            result, _reader, _state, _protocol, atr = scard.SCardStatus(self._handle)
        if result != scard.SCARD_S_SUCCESS:
            raise self._error(result)
        return bytes(atr)

    def transmit(self, apdu: bytes | bytearray) -> Response:
        """Send one command and return the complete answer (61xx/6Cxx followed here)."""
        with self._lock:
            if self._closed:
                raise CardRemovedError("the card session has ended")
            try:
                return transmit_complete(self._raw_transmit, apdu)
            except MalformedResponse as exc:
                failure: CardError = CardCommunicationError(str(exc))
            except CardCommunicationError as exc:
                failure = exc
            # vpcd answers a card pulled mid-command with an empty "success"; other
            # drivers with a transport error. Ask pcscd whether the card is still
            # there before calling it a card fault, so the citizen hears the truth.
            if self._card_left():
                raise CardRemovedError("the card was removed during the exchange") from None
            raise failure

    def _card_left(self, wait_ms: int = 700) -> bool:
        """Whether the card left (or was swapped) within one pcscd poll period."""
        state = scard.SCARD_STATE_UNAWARE
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            result, states = scard.SCardGetStatusChange(
                self._context, max(left_ms, 0) if state else 0, [(self.reader, state)]
            )
            if result == scard.SCARD_E_TIMEOUT:
                return False
            if result != scard.SCARD_S_SUCCESS:
                return True  # the reader or pcscd is gone: so is this card session
            event_state = states[0][1]
            counter = (event_state >> STATE_COUNTER_SHIFT) & 0xFFFF
            if not event_state & scard.SCARD_STATE_PRESENT or counter != self.event_counter:
                return True
            state = event_state & ~scard.SCARD_STATE_CHANGED
            if left_ms <= 0:
                return False

    def _raw_transmit(self, apdu: bytes | bytearray) -> bytes:
        pci = scard.SCARD_PCI_T0 if self._protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
        # pyscard wants a list of ints. Overwritten in place afterwards (not cleared:
        # clear() frees the item array with the digits' references still in it).
        command = list(apdu)
        try:
            result, response = scard.SCardTransmit(self._handle, pci, command)
        finally:
            for i in range(len(command)):
                command[i] = 0
        if result != scard.SCARD_S_SUCCESS:
            raise self._error(result)
        return bytes(response)

    def _error(self, result: int) -> CardError:
        if result in _SESSION_GONE or self._closed:
            return CardRemovedError(error_message(result))
        return CardCommunicationError(error_message(result))

    def warm_reset(self) -> None:
        """Reset the card without powering it off: what a badly seated card needs."""
        with self._lock:
            result, protocol = scard.SCardReconnect(
                self._handle,
                scard.SCARD_SHARE_EXCLUSIVE,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                scard.SCARD_RESET_CARD,
            )
            if result != scard.SCARD_S_SUCCESS:
                raise self._error(result)
            self._protocol = protocol

    def close(self, disposition: int = scard.SCARD_LEAVE_CARD) -> None:
        """Disconnect and release the handle and its context.

        Leaves the card as it is: a power-off sent to a card that was just pulled
        (before pcscd noticed) wedges vpcd's slot until pcscd restarts, and a card
        still present is warm-reset when a session is opened on it
        (`CardReaderService._open_card`), so no verified PIN carries over.
        """
        self._closed = True
        # A transmit to a mute card may hold the lock; it fails once the card goes,
        # and the handle is released here or by the next close call.
        if not self._lock.acquire(timeout=2.0):
            return
        try:
            if self._handle:
                with contextlib.suppress(Exception):
                    scard.SCardDisconnect(self._handle, disposition)
                self._handle = 0
            if self._context:
                with contextlib.suppress(Exception):
                    scard.SCardReleaseContext(self._context)
                self._context = 0
        finally:
            self._lock.release()
