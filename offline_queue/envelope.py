"""The sealed envelope of docs/CONTRACTS.md: built on the kiosk, opened by the portal.

The request is signed and digested in one canonical JSON form, so the
portal can recompute exactly the bytes that the card and the kiosk signed.
The whole envelope is then sealed with HPKE to the portal's public key
before it reaches the outbox's disk: the kiosk keeps only ciphertext and
cannot read back what a citizen submitted.

The idempotency key is deliberately not part of the request: it travels
beside the sealed envelope, so a technician's retry of a refused entry can
give it a fresh key without the citizen's card (see `Outbox.retry`); the
signed ``local_ref`` is what ties every attempt to one submission.

`open_and_verify` is the portal's side, kept here next to the builder so
both follow one definition; the portal simulator and the tests reuse it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk import sealing
from offline_queue.kiosk_key import public_key_raw

# What the card gives back for the bytes it was asked to sign: the DER
# certificate of its authentication key, and the PKCS#1 v1.5 SHA-256 signature.
CardSigner = Callable[[bytes], tuple[bytes, bytes]]

REQUEST_FIELDS = ("service_id", "values", "personal_number", "kiosk_id", "created_at",
                  "local_ref", "language")


class EnvelopeError(ValueError):
    """An envelope is malformed, altered, or its signatures do not hold."""


def canonical(value: Any) -> bytes:
    """The one byte form that is digested and signed (CONTRACTS.md)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def build_envelope(
    request: Mapping[str, Any],
    kiosk_key: Ed25519PrivateKey,
    sign_with_card: CardSigner | None = None,
) -> bytes:
    """The envelope's plaintext: request, digest, card and kiosk signatures.

    ``sign_with_card`` is None for password logins and for submissions made
    without a card; the envelope then says ``"card": null`` and the portal
    relies on its own session record.
    """
    missing = [name for name in REQUEST_FIELDS if name not in request]
    if missing:
        raise EnvelopeError(f"the request lacks {', '.join(missing)}")
    data = canonical(dict(request))
    card = None
    if sign_with_card is not None:
        certificate_der, signature = sign_with_card(data)
        card = {"certificate": _b64(certificate_der), "signature": _b64(signature)}
    envelope = {
        "request": dict(request),
        "digest": hashlib.sha256(data).hexdigest(),
        "card": card,
        "kiosk": {"public_key": _b64(public_key_raw(kiosk_key)),
                  "signature": _b64(kiosk_key.sign(data))},
    }
    return canonical(envelope)


def seal_envelope(plaintext: bytes, portal_public_key: X25519PublicKey) -> bytes:
    return sealing.seal(plaintext, portal_public_key)


def _unb64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError) as exc:
        raise EnvelopeError(f"{what} is not valid base64") from exc


def open_and_verify(
    sealed: bytes | str,
    private_key: X25519PrivateKey,
    trusted_kiosk_keys: set[bytes] | None = None,
) -> dict[str, Any]:
    """Open a sealed envelope and check its digest and signatures; return the envelope.

    ``sealed`` is raw bytes or the base64 text of a Submission. The card's
    certificate chain and revocation are the portal's PKI business and are
    not checked here; the signature is checked against the enclosed
    certificate. With ``trusted_kiosk_keys`` the kiosk key must be one of them.
    """
    raw = _unb64(sealed, "sealed") if isinstance(sealed, str) else sealed
    try:
        envelope = json.loads(sealing.open_sealed(raw, private_key))
    except sealing.SealingError as exc:
        raise EnvelopeError(str(exc)) from exc
    except ValueError as exc:
        raise EnvelopeError("the opened envelope is not JSON") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise EnvelopeError("the envelope has no request")
    data = canonical(envelope["request"])
    if envelope.get("digest") != hashlib.sha256(data).hexdigest():
        raise EnvelopeError("the digest does not match the request")
    kiosk = envelope.get("kiosk") or {}
    kiosk_raw = _unb64(kiosk.get("public_key"), "kiosk.public_key")
    if trusted_kiosk_keys is not None and kiosk_raw not in trusted_kiosk_keys:
        raise EnvelopeError("the kiosk key is not a registered kiosk")
    try:
        Ed25519PublicKey.from_public_bytes(kiosk_raw).verify(
            _unb64(kiosk.get("signature"), "kiosk.signature"), data)
    except (InvalidSignature, ValueError) as exc:
        raise EnvelopeError("the kiosk signature does not hold") from exc
    card = envelope.get("card")
    if card is not None:
        _verify_card(card, data)
    return envelope


def _verify_card(card: Mapping[str, Any], data: bytes) -> None:
    try:
        certificate = x509.load_der_x509_certificate(_unb64(card.get("certificate"), "card.certificate"))
    except (ValueError, x509.InvalidVersion) as exc:
        raise EnvelopeError("the card certificate is not DER") from exc
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise EnvelopeError("the card certificate does not hold an RSA key")
    try:
        public.verify(_unb64(card.get("signature"), "card.signature"), data,
                      padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise EnvelopeError("the card signature does not hold") from exc
