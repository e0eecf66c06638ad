"""The kiosk's own secrets in the storage directory: its Ed25519 signing key
and the local secret that turns personal numbers into ordering keys.

The portal checks the kiosk signature in every envelope to know which
terminal a submission came from (a card signature proves the citizen, not
the machine). The ordering-key secret lets the outbox keep one citizen's
entries in order without keeping the personal number on disk. The secret
lies on the same disk as the outbox, so whoever holds the disk can try
all eleven-digit numbers against an HMAC; that is why only 16 bits of it
are kept (`ordering_key`): a brute force then names some 1.5 million
possible numbers, never one person.

Both are created once, owner-only (0600), atomically: written to a
temporary file, fsynced, then hard-linked into place, so two processes
starting together agree on one key and a crash never leaves half a key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SIGNING_KEY_FILE = "kiosk-signing-key.pem"
ORDER_SECRET_FILE = "kiosk-order-secret"
# 16 bits; schema step 2 cut the keys stored by earlier releases to the same.
ORDER_KEY_HEX_CHARS = 4


class KioskKeyError(RuntimeError):
    """The key file exists but cannot be used (wrong type, loose permissions)."""


def ensure_private_dir(directory: str | Path) -> Path:
    """Create the storage directory owner-only if missing; return it as a Path."""
    path = Path(directory)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _create_once(path: Path, content: bytes) -> None:
    """Put ``content`` at ``path`` unless a file is already there (then keep that one)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, content)
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process won the race: keep theirs
        except FileExistsError:
            return
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new name itself must survive a power cut
        finally:
            os.close(dir_fd)
    finally:
        os.unlink(tmp)


def _read_private(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KioskKeyError(
            f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
        )
    return path.read_bytes()


def load_or_create_signing_key(storage_dir: str | Path) -> Ed25519PrivateKey:
    """The kiosk's Ed25519 key, made on first use and the same ever after."""
    path = ensure_private_dir(storage_dir) / SIGNING_KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _create_once(path, pem)
    key = serialization.load_pem_private_key(_read_private(path), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KioskKeyError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_raw(key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes the envelope carries and the portal registers per kiosk."""
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_or_create_order_secret(storage_dir: str | Path) -> bytes:
    """32 random bytes, kiosk-local, for `ordering_key`."""
    path = ensure_private_dir(storage_dir) / ORDER_SECRET_FILE
    if not path.exists():
        _create_once(path, secrets.token_bytes(32))
    secret = _read_private(path)
    if len(secret) != 32:
        raise KioskKeyError(f"{path} must hold 32 bytes, not {len(secret)}")
    return secret


def ordering_key(secret: bytes, personal_number: str) -> str:
    """A stable 16-bit stand-in for the citizen, for ordering only (four hex digits).

    Two citizens share a key one time in 65,536: the outbox then sends the
    later one's entry after the earlier one's, a harmless extra ordering.
    The secret still matters: without it the 16 bits could be computed for
    a known person's number and used to pick out their entries' times.
    """
    digest = hmac.new(secret, personal_number.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:ORDER_KEY_HEX_CHARS]
