"""Sealing payloads for the portal with HPKE (RFC 9180).

What a citizen submits is sealed to the portal's public key before it
reaches the kiosk's disk or the network, so neither a proxy nor a stolen
kiosk disk holds it in clear, and the kiosk itself cannot read back what it
sealed (it never has the portal's private key).

Suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, base mode.
The sealed form is cryptography's single-shot output: the encapsulated key
followed by the ciphertext.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
# Binds a sealed payload to its purpose: a ciphertext made for the kiosk
# submission API cannot be replayed into another protocol that uses the key.
INFO = b"ge.justice-house.kiosk/submission/v1"


class SealingError(ValueError):
    """A payload could not be opened: wrong key, or altered on the way."""


def seal(plaintext: bytes, public_key: X25519PublicKey, info: bytes = INFO) -> bytes:
    return SUITE.encrypt(plaintext, public_key, info)


def open_sealed(sealed: bytes, private_key: X25519PrivateKey, info: bytes = INFO) -> bytes:
    """The portal's side: only the holder of the private key can do this."""
    try:
        return SUITE.decrypt(sealed, private_key, info)
    except Exception as exc:  # cryptography raises InvalidTag and others
        raise SealingError("the sealed payload cannot be opened with this key") from exc


def seal_b64(plaintext: bytes, public_key: X25519PublicKey) -> str:
    return base64.b64encode(seal(plaintext, public_key)).decode("ascii")


def open_b64(sealed: str, private_key: X25519PrivateKey) -> bytes:
    try:
        raw = base64.b64decode(sealed, validate=True)
    except ValueError as exc:
        raise SealingError("the sealed payload is not valid base64") from exc
    return open_sealed(raw, private_key)


def load_public_key(path: str | Path) -> X25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, X25519PublicKey):
        raise SealingError(f"{path} does not hold an X25519 public key")
    return key


def load_private_key(path: str | Path) -> X25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, X25519PrivateKey):
        raise SealingError(f"{path} does not hold an X25519 private key")
    return key


def write_keypair(private_path: Path, public_path: Path) -> X25519PublicKey:
    """Make a portal sealing key pair (for the simulator and tests)."""
    private = X25519PrivateKey.generate()
    private_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_path.chmod(0o600)
    public = private.public_key()
    public_path.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return public
