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

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
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

    def certificate(self, der: bytes) -> x509.Certificate:
        """The certificate if it chains to the root, is in its validity period and not revoked."""
        try:
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion) as exc:
            raise Rejected("unknown_issuer", "the certificate cannot be parsed") from exc
        try:
            cert.verify_directly_issued_by(self.auth_ca)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise Rejected("unknown_issuer", "not issued by GEO Authentication CA") from exc
        now = dt.datetime.now(dt.UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise Rejected("certificate_expired", "the certificate is outside its validity")
        # The CRL is read on every check so a revocation applies at once.
        crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
        if not crl.is_signature_valid(self.auth_ca.public_key()):  # type: ignore[arg-type]
            raise Rejected("certificate_revoked", "the revocation list is not trustworthy")
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
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
    if card is not None:
        if not isinstance(card, dict):
            raise Rejected("envelope_malformed", "the card block is not an object")
        der = _b64(card.get("certificate"), "card certificate", "card_certificate_invalid")
        try:
            cert = cards.certificate(der)
        except Rejected as exc:
            raise Rejected("card_certificate_invalid", exc.message) from exc
        signature = _b64(card.get("signature"), "card signature", "card_signature_invalid")
        cards.check_signature(cert, body, signature, code="card_signature_invalid")
        if cards.holder(cert).personal_number != request["personal_number"]:
            raise Rejected("card_signature_invalid", "the card belongs to another citizen")
    return OpenedEnvelope(request, card is not None, str(kiosk.get("public_key")))
