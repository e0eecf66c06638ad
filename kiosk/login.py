"""Card login: PIN on the card, then the portal's challenge, or an offline check.

Core code (no kivy, no pyscard): it gets an `EidCard` from the card reader
service and a portal client, and returns one small typed outcome that the
visit state machine turns into a screen. Every way a login can end is an
outcome, never an exception, so a screen never shows a stack trace and the
controller's mapping (by class name) stays total.

Online (docs/CONTRACTS.md): ``portal.auth_challenge()`` -> the card signs the
challenge bytes -> ``portal.auth_card(challenge_id, certificate, signature)``
-> a portal session. Offline (the portal does not answer): the certificate is
checked against the configured trust files (`kiosk.trust`) and the card
signs a nonce the kiosk chose, proving the private key is on this card; the
offline session may only queue work, which the portal re-checks.

The PIN arrives as the PIN pad's ``bytearray``; it is wiped right after the
VERIFY (by the card class, and again here in a ``finally``). It is never
logged, never stored, never put in an outcome or an exception.

API (see docs/CONTRACTS.md "Card login"):
    login = card_login_function(config)           # CardLogin
    outcome = login(card, pin_bytearray, portal)  # LoginOk | WrongPin | ...
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from devices.apdu import wipe
from devices.eid.card import CardError, CardRemovedError, EidCard, PinStatus
from kiosk.config import Config
from kiosk.logs import event
from kiosk.portal.errors import PortalError, PortalOffline, PortalServerError, PortalUnauthorised
from kiosk.trust import (
    TrustError,
    TrustStore,
    Verdict,
    citizen_from_certificate,
    verify_card_signature,
)

log = logging.getLogger(__name__)

NONCE_BYTES = 32


# -- outcomes ----------------------------------------------------------------------
@dataclass(frozen=True)
class LoginOk:
    citizen: dict[str, Any] = field(repr=False)  # personal data: kept out of reprs and logs
    offline: bool = False
    token: str | None = field(default=None, repr=False)
    first_login: bool = False


@dataclass(frozen=True)
class WrongPin:
    tries_left: int


@dataclass(frozen=True)
class PinBlocked:
    pass


@dataclass(frozen=True)
class CardExpired:
    pass


@dataclass(frozen=True)
class CardRevoked:
    pass


@dataclass(frozen=True)
class UnknownCard:
    pass


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class LoginError:
    """Anything else; ``reason`` is a code for `kiosk.portal.reasons` / the screens."""

    reason: str


LoginOutcome = (
    LoginOk | WrongPin | PinBlocked | CardExpired | CardRevoked | UnknownCard | CardRemoved | LoginError
)

# The portal's 401 codes (docs/portal-api.yaml) as outcomes.
_UNAUTHORISED: dict[str, Callable[[], LoginOutcome]] = {
    "certificate_expired": CardExpired,
    "certificate_revoked": CardRevoked,
    "unknown_issuer": UnknownCard,
}
_VERDICTS: dict[Verdict, Callable[[], LoginOutcome]] = {
    Verdict.EXPIRED: CardExpired,
    Verdict.NOT_YET_VALID: CardExpired,
    Verdict.REVOKED: CardRevoked,
    Verdict.UNKNOWN_ISSUER: UnknownCard,
    Verdict.BAD_CERTIFICATE: UnknownCard,
    Verdict.REVOCATION_UNKNOWN: lambda: LoginError("revocation_unknown"),
}


class CardPortal(Protocol):
    """The two calls of `kiosk.portal.client.PortalClient` a card login needs."""

    def auth_challenge(self) -> dict[str, Any]: ...

    def auth_card(self, challenge_id: str, certificate_der: bytes, signature: bytes) -> dict[str, Any]: ...


class CardLogin:
    """Logs a citizen in with an inserted card and a PIN; see the module docstring."""

    def __init__(self, trust: TrustStore | None, *, nonce: Callable[[], bytes] | None = None) -> None:
        self.trust = trust
        self._nonce = nonce or (lambda: os.urandom(NONCE_BYTES))

    def __call__(self, card: EidCard, pin: bytearray, portal: CardPortal | None) -> LoginOutcome:
        try:
            outcome = self._login(card, pin, portal)
        except CardRemovedError:
            outcome = CardRemoved()
        except CardError as exc:
            event(log, "card failed during login", error=type(exc).__name__)
            outcome = LoginError("card_error")
        finally:
            wipe(pin)
        event(log, "card login", outcome=type(outcome).__name__,
              offline=getattr(outcome, "offline", None))
        return outcome

    def _login(self, card: EidCard, pin: bytearray, portal: CardPortal | None) -> LoginOutcome:
        certificate = card.read_auth_certificate()
        if self.trust is not None:
            # An expired or revoked card must not cost the citizen a PIN try.
            early = self.trust.validity(certificate)
            if not early.ok:
                return _VERDICTS[early.verdict]()
        result = card.verify_pin(pin)
        if result.status is PinStatus.WRONG:
            return WrongPin(result.tries_left or 0)
        if result.status is PinStatus.BLOCKED:
            return PinBlocked()
        if result.status is not PinStatus.OK:
            return LoginError(result.reason or "pin_error")
        if portal is not None:
            try:
                return self._online(card, certificate, portal)
            except (PortalOffline, PortalServerError) as exc:
                # A portal that cannot answer now is "offline" for the citizen alike.
                event(log, "portal unavailable at login, checking offline", error=type(exc).__name__)
        return self._offline(card, certificate)

    def _online(self, card: EidCard, certificate: bytes, portal: CardPortal) -> LoginOutcome:
        for attempt in range(2):
            challenge = portal.auth_challenge()
            try:
                challenge_bytes = base64.b64decode(challenge["challenge"], validate=True)
                challenge_id = str(challenge["challenge_id"])
            except (KeyError, TypeError, binascii.Error):
                return LoginError("portal_error")
            signature = card.sign(challenge_bytes)
            try:
                answer = portal.auth_card(challenge_id, certificate, signature)
            except PortalUnauthorised as exc:
                if exc.code == "challenge_expired" and attempt == 0:
                    continue  # a slow card or hand: one fresh challenge, the PIN is still verified
                known = _UNAUTHORISED.get(exc.code)
                return known() if known else LoginError(exc.code)
            except (PortalOffline, PortalServerError):
                raise
            except PortalError:
                return LoginError("portal_error")
            try:
                return LoginOk(
                    citizen=dict(answer["citizen"]),
                    offline=False,
                    token=str(answer["session_token"]),
                    first_login=bool(answer.get("first_login", False)),
                )
            except (KeyError, TypeError):
                return LoginError("portal_error")
        return LoginError("challenge_expired")

    def _offline(self, card: EidCard, certificate: bytes) -> LoginOutcome:
        if self.trust is None:
            return LoginError("portal_offline")  # nothing configured to decide alone
        verdict = self.trust.check(certificate)
        if not verdict.ok:
            return _VERDICTS[verdict.verdict]()
        if verdict.crl_overdue:
            event(log, "offline login with an overdue CRL")
        nonce = self._nonce()
        signature = card.sign(nonce)
        if not verify_card_signature(certificate, nonce, signature):
            # The card holds a certificate but not its key: a copied certificate.
            return LoginError("bad_signature")
        return LoginOk(citizen=citizen_from_certificate(certificate), offline=True, token=None)


def card_login_function(config: Config) -> CardLogin:
    """The card login for this kiosk's configuration (trust files for offline logins).

    Without ``reader.trusted_root`` offline card logins are refused; a broken
    trust file is logged and treated the same, so the kiosk still works online.
    """
    trust: TrustStore | None = None
    if config.reader.trusted_root:
        try:
            trust = TrustStore.from_files(config.reader.trusted_root, config.reader.crl or None)
        except TrustError as exc:
            event(log, "offline card login disabled", error=str(exc))
    return CardLogin(trust)
