"""The eID card interface the kiosk's core uses, and the factory that picks a class by ATR.

As in web-eid's libelectronic-id, each card family is one class behind this
interface; the card reader hands the core a ready `EidCard` and the core
never sees an APDU. Card classes get a `Transport` (the reader's transmit,
which already follows 61xx/6Cxx), so a class speaks in commands only.

PIN handling rules every implementation keeps: the PIN arrives as a
``bytearray`` of ASCII digits; it is copied only into the VERIFY command
buffer; both buffers are wiped in a ``finally``; neither is logged nor put
into an exception or a `PinResult`.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from devices.apdu import Response
from devices.eid.profiles import CardProfile, profile_for_atr


class CardError(Exception):
    """The card could not do what was asked; the message never holds a PIN."""


class CardRemovedError(CardError):
    """The card left the reader (or was reset by someone else) during the exchange."""


class CardCommunicationError(CardError):
    """The reader or card gave no usable answer: bad contacts, a mute card, a driver error."""


class CardStatusError(CardError):
    """The card answered with a status word the flow does not expect."""

    def __init__(self, step: str, sw: int) -> None:
        self.step = step
        self.sw = sw
        super().__init__(f"{step}: card answered {sw:04X}")


class UnknownCardError(CardError):
    """No profile matches the ATR: not a card this kiosk can read."""


class Transport(Protocol):
    """What a card class needs from the reader: one complete exchange per command."""

    def transmit(self, apdu: bytes | bytearray) -> Response: ...


class PinStatus(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    BLOCKED = "blocked"
    ERROR = "error"


@dataclass(frozen=True)
class PinResult:
    """What a VERIFY came to. ``tries_left`` is known for WRONG (and OK: the maximum)."""

    status: PinStatus
    tries_left: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is PinStatus.OK


class EidCard(ABC):
    """One inserted eID card, usable while its card session lasts."""

    family: str = ""

    def __init__(self, atr: bytes, profile: CardProfile, transport: Transport) -> None:
        self.atr = atr
        self.profile = profile
        self._transport = transport

    @abstractmethod
    def activate(self) -> None:
        """Select the eID application; the reader calls this to tell a working card from
        a badly seated one before it reports ``ready``."""

    @abstractmethod
    def read_auth_certificate(self) -> bytes:
        """The authentication certificate, DER."""

    @abstractmethod
    def pin_tries_left(self) -> int:
        """Tries left for the authentication PIN, without spending one."""

    @abstractmethod
    def verify_pin(self, pin: bytearray) -> PinResult:
        """VERIFY the authentication PIN; ``pin`` is wiped before this returns."""

    @abstractmethod
    def sign(self, data: bytes) -> bytes:
        """RSA PKCS#1 v1.5 signature over SHA-256(data) with the authentication key."""


# family name -> class; filled by the family modules when `devices.eid` is imported.
_FAMILIES: dict[str, type[EidCard]] = {}


def register_family(cls: type[EidCard]) -> type[EidCard]:
    """Class decorator: make a card class choosable by its profiles' ``family``."""
    _FAMILIES[cls.family] = cls
    return cls


def card_for_atr(atr: bytes, transport: Transport, *, allow_test_cards: bool = False) -> EidCard:
    """The right card class for this ATR, or `UnknownCardError`.

    Test-only profiles (the virtual card) count as unknown unless the kiosk's
    configuration allows them, so a production kiosk never logs in a citizen
    with a card that anyone can emulate.
    """
    import devices.eid  # noqa: F401  (registers the family classes)

    profile = profile_for_atr(atr)
    if profile is None:
        raise UnknownCardError(f"no card profile for ATR {atr.hex(' ').upper()}")
    if profile.test_only and not allow_test_cards:
        raise UnknownCardError(f"card profile {profile.name} is for tests only")
    try:
        cls = _FAMILIES[profile.family]
    except KeyError as exc:
        raise UnknownCardError(f"profile {profile.name} names unknown family {profile.family}") from exc
    return cls(atr, profile, transport)
