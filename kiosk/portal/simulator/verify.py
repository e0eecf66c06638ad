"""The portal's checks on what a kiosk sends: card certificates and sealed envelopes.

Each failure is a reason code from docs/portal-api.yaml, so a test (and a
technician reading the kiosk's log) can tell an expired card from a forged
signature without parsing prose.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.x509.oid import NameOID

from kiosk.sealing import SealingError, open_b64
from kiosk.testpki import TestPki


class Rejected(Exception):
    """A check failed; ``code`` is the API's reason code."""

    def __init__(self, code: str, message: str, *, final: bool = True) -> None:
        self.code = code
        self.message = message
        # False: the refusal depends on the portal's state or clock, not on the
        # request alone, so it is not stored against the idempotency key and
        # the same request is judged afresh when repeated.
        self.final = final
        super().__init__(f"{code}: {message}")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(text: Any, what: str, code: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError as exc:
        raise Rejected(code, f"{what} is not valid base64") from exc


@dataclass(frozen=True)
class CardHolder:
    personal_number: str
    given_name: str
    surname: str


class CardVerifier:
    """Checks a citizen certificate against GEO Root CA -> GEO Authentication CA and the CRL."""

    def __init__(self, pki: TestPki) -> None:
        self.root = x509.load_pem_x509_certificate(pki.root_cert_path.read_bytes())
        self.auth_ca = x509.load_pem_x509_certificate(pki.auth_ca_cert_path.read_bytes())
        self.auth_ca.verify_directly_issued_by(self.root)
        self.crl_path: Path = pki.crl_path

    def certificate(self, der: bytes, at: dt.datetime | None = None) -> x509.Certificate:
        """The certificate if it chains to the root, was valid and not revoked at ``at``.

        ``at`` is None for a login (judged now, where "revoked" means listed at
        all) and the request's signed ``created_at`` for a queued submission:
        the citizen asked while the card was good, however long the kiosk then
        stayed offline.
        """
        try:
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion) as exc:
            raise Rejected("unknown_issuer", "the certificate cannot be parsed") from exc
        try:
            cert.verify_directly_issued_by(self.auth_ca)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise Rejected("unknown_issuer", "not issued by GEO Authentication CA") from exc
        when = at or dt.datetime.now(dt.UTC)
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            raise Rejected("certificate_expired", "the certificate is outside its validity")
        # The CRL is read on every check so a revocation applies at once.
        crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
        if not crl.is_signature_valid(self.auth_ca.public_key()):  # type: ignore[arg-type]
            raise Rejected("certificate_revoked", "the revocation list is not trustworthy")
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None and (at is None or revoked_since(entry) <= at):
            raise Rejected("certificate_revoked", "the certificate has been revoked")
        return cert

    @staticmethod
    def holder(cert: x509.Certificate) -> CardHolder:
        def attr(oid: x509.ObjectIdentifier) -> str:
            values = cert.subject.get_attributes_for_oid(oid)
            return str(values[0].value) if values else ""

        return CardHolder(attr(NameOID.SERIAL_NUMBER), attr(NameOID.GIVEN_NAME),
                          attr(NameOID.SURNAME))

    @staticmethod
    def check_signature(cert: x509.Certificate, data: bytes, signature: bytes,
                        code: str = "bad_signature") -> None:
        """RSA PKCS#1 v1.5 over SHA-256 of ``data``: what the card's INTERNAL AUTHENTICATE makes."""
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise Rejected(code, "the certificate does not hold an RSA key")
        try:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise Rejected(code, "the signature does not match the certificate") from exc


def revoked_since(entry: x509.RevokedCertificate) -> dt.datetime:
    """When the card stopped being trustworthy: the revocation, or the earlier invalidity date.

    RFC 5280's invalidity date is when the key is known or suspected to have
    been compromised (a card stolen on Monday and reported on Friday): what a
    thief signed in between must not pass because it was signed before Friday.
    """
    since = entry.revocation_date_utc
    try:
        invalid = entry.extensions.get_extension_for_class(x509.InvalidityDate).value
    except x509.ExtensionNotFound:
        return since
    return min(since, invalid.invalidity_date_utc)


# How far ahead of the portal's clock a kiosk's clock may run before its
# created_at is refused: NTP keeps kiosks within seconds; five minutes
# covers a kiosk that has just booted without a network.
CLOCK_SKEW_S = 300.0


def signed_time(request: dict[str, Any]) -> dt.datetime:
    """The request's ``created_at``: an ISO 8601 time with a zone, not in the future."""
    try:
        when = dt.datetime.fromisoformat(str(request["created_at"]))
    except ValueError as exc:
        raise Rejected("envelope_malformed", "created_at is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise Rejected("envelope_malformed", "created_at has no time zone")
    ahead = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if ahead > CLOCK_SKEW_S:
        raise Rejected("created_at_in_future",
                       f"created_at is {ahead:.0f} s ahead of the portal's clock", final=False)
    return when.astimezone(dt.UTC)


REQUEST_FIELDS = ("service_id", "values", "personal_number", "kiosk_id", "created_at",
                  "local_ref", "language")


@dataclass(frozen=True)
class OpenedEnvelope:
    request: dict[str, Any]
    card_signed: bool
    kiosk_public_key: str


def open_envelope(sealed_b64: str, private_key: X25519PrivateKey,
                  cards: CardVerifier) -> OpenedEnvelope:
    """Open a submission's ``sealed`` field and check digest and signatures (CONTRACTS.md)."""
    try:
        plaintext = open_b64(sealed_b64, private_key)
    except SealingError as exc:
        raise Rejected("sealed_unreadable", str(exc)) from exc
    try:
        envelope = json.loads(plaintext)
        request = envelope["request"]
        digest = envelope["digest"]
        kiosk = envelope["kiosk"]
        card = envelope.get("card")
    except (ValueError, KeyError, TypeError) as exc:
        raise Rejected("envelope_malformed", "the envelope lacks request, digest or kiosk") from exc
    if not isinstance(request, dict) or any(f not in request for f in REQUEST_FIELDS):
        raise Rejected("envelope_malformed", "the request lacks required fields")
    body = canonical(request)
    if digest != hashlib.sha256(body).hexdigest():
        raise Rejected("digest_mismatch", "the digest does not match the request")
    if not isinstance(kiosk, dict):
        raise Rejected("envelope_malformed", "the kiosk signature block is missing")
    raw_key = _b64(kiosk.get("public_key"), "kiosk public key", "kiosk_signature_invalid")
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(raw_key).verify(
            _b64(kiosk.get("signature"), "kiosk signature", "kiosk_signature_invalid"), body)
    except (ValueError, InvalidSignature) as exc:
        raise Rejected("kiosk_signature_invalid", "the kiosk signature does not verify") from exc
    created_at = signed_time(request)
    if card is not None:
        if not isinstance(card, dict):
            raise Rejected("envelope_malformed", "the card block is not an object")
        der = _b64(card.get("certificate"), "card certificate", "card_certificate_invalid")
        try:
            cert = cards.certificate(der, at=created_at)
        except Rejected as exc:
            raise Rejected("card_certificate_invalid", exc.message) from exc
        signature = _b64(card.get("signature"), "card signature", "card_signature_invalid")
        cards.check_signature(cert, body, signature, code="card_signature_invalid")
        if cards.holder(cert).personal_number != request["personal_number"]:
            raise Rejected("card_signature_invalid", "the card belongs to another citizen")
    return OpenedEnvelope(request, card is not None, str(kiosk.get("public_key")))
