"""The sealing suite, pinned by an HPKE built here from RFC 9180 and nothing of kiosk.sealing.

If the kiosk's sealing drifted (another KEM, KDF or AEAD, another info
string, another framing than enc || ciphertext), a real portal built from
docs/portal-api.yaml could not open what kiosks queue. This opener is
written from the RFC's pseudo-code with hmac, hashlib, X25519 and AES-GCM
only, so it does not share a bug with the code it checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk import sealing
from offline_queue.outbox import Outbox

INFO = b"ge.justice-house.kiosk/submission/v1"  # as docs/portal-api.yaml says, typed out
KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0002  # DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM
N_ENC, N_K, N_N = 32, 32, 12


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info, length)


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def hpke_open(sealed: bytes, recipient: X25519PrivateKey, info: bytes) -> bytes:
    """RFC 9180 base mode, single-shot Open with empty aad, sequence 0."""
    enc, ciphertext = sealed[:N_ENC], sealed[N_ENC:]
    kem_suite = b"KEM" + KEM_ID.to_bytes(2, "big")
    dh = recipient.exchange(X25519PublicKey.from_public_bytes(enc))
    eae_prk = _labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared = _labeled_expand(kem_suite, eae_prk, b"shared_secret",
                             enc + _raw(recipient.public_key()), 32)
    suite = b"HPKE" + b"".join(i.to_bytes(2, "big") for i in (KEM_ID, KDF_ID, AEAD_ID))
    context = (b"\x00" + _labeled_extract(suite, b"", b"psk_id_hash", b"")
               + _labeled_extract(suite, b"", b"info_hash", info))
    secret = _labeled_extract(suite, shared, b"secret", b"")
    key = _labeled_expand(suite, secret, b"key", context, N_K)
    nonce = _labeled_expand(suite, secret, b"base_nonce", context, N_N)
    return AESGCM(key).decrypt(nonce, ciphertext, b"")


def test_the_info_string_is_the_documented_one() -> None:
    assert sealing.INFO == INFO


def test_a_kiosk_sealed_entry_opens_with_an_independent_hpke(tmp_path) -> None:
    portal = X25519PrivateKey.generate()
    box = Outbox(tmp_path / "kiosk", kiosk_id="tbs-01", portal_public_key=portal.public_key())
    entry = box.enqueue({"service_id": "civil-extract", "values": {"copies": 2},
                         "personal_number": "01001012345", "language": "ka"})
    sealed = base64.b64decode(entry.submission()["sealed"])
    envelope = json.loads(hpke_open(sealed, portal, INFO))
    assert envelope["request"]["local_ref"] == entry.local_ref
    assert envelope["request"]["values"] == {"copies": 2}
    box.close()


def test_the_independent_opener_is_not_lenient(tmp_path) -> None:
    """It refuses what it should: another info string, or another recipient."""
    portal = X25519PrivateKey.generate()
    sealed = sealing.seal(b"{}", portal.public_key())
    assert hpke_open(sealed, portal, INFO) == b"{}"
    with pytest.raises(InvalidTag):
        hpke_open(sealed, portal, INFO + b"x")
    with pytest.raises(InvalidTag):
        hpke_open(sealed, X25519PrivateKey.generate(), INFO)
