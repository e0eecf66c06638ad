"""What the virtual eID card answers: the card side of a card profile, without sockets.

Given a profile (devices/profiles/*.json), a citizen's certificate and RSA
key from the test PKI and a PIN, `VirtualApplet` answers the APDUs the
profile's flow sends, with the status words a real ISO 7816 card uses. It
also plays the quirks that the profile records for a generation (the new
Georgian card refuses to select its application before SELECT MF, and GET
DATA with class 00), so the family classes are tested against them.

Test-only code: the PIN is held here because a card holds it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from devices.apdu import (
    SW_CLA_NOT_SUPPORTED,
    SW_CONDITIONS_NOT_SATISFIED,
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
    SW_INS_NOT_SUPPORTED,
    SW_OK,
    SW_PIN_BLOCKED,
    SW_REFERENCE_NOT_FOUND,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
)
from devices.eid.iso_pki import SHA256_DIGEST_INFO_PREFIX
from devices.eid.profiles import CardProfile

MF = bytes.fromhex("3F00")


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


@dataclass
class _Selection:
    mf: bool = False
    application: bool = False
    auth_application: bool = False
    certificate: bool = False


class VirtualApplet:
    """A card's state across power cycles: the PIN counter survives, the session does not."""

    def __init__(
        self, profile: CardProfile, certificate_der: bytes, key: rsa.RSAPrivateKey, pin: str
    ) -> None:
        self.profile = profile
        self.certificate = certificate_der
        self._key = key
        self._pin = pin.encode("ascii")
        self.tries_left = profile.max_pin_tries
        self._pending = b""  # response bytes waiting for GET RESPONSE
        self.power_on()

    def power_on(self) -> None:
        """Power-on or reset: the security state (verified PIN, selected key) is forgotten."""
        self._selected = _Selection(mf=not self.profile.select_mf_first)
        self._verified = False
        self._key_set = False
        self._pending = b""

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return _sw(SW_WRONG_LENGTH)
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        data, le = _split_body(body)
        if ins == 0xC0:
            return self._get_response(le)
        if ins == 0xCA:
            # The new card answers GET DATA only with its own class byte.
            if cla != self.profile.get_data_cla:
                return _sw(SW_REFERENCE_NOT_FOUND)
            return _sw(SW_OK, b"\x01\x02\x03\x04")
        if cla != self.profile.cla:
            return _sw(SW_CLA_NOT_SUPPORTED)
        handler = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0x20: self._verify,
            0x22: self._mse_set,
            0x88: self._internal_authenticate,
        }.get(ins)
        if handler is None:
            return _sw(SW_INS_NOT_SUPPORTED)
        return handler(p1, p2, data, le)

    # -- commands ------------------------------------------------------------------
    def _select(self, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if p1 == 0x00 and data in (b"", MF):
            self._selected = _Selection(mf=True)
            return _sw(SW_OK)
        if p1 == 0x04:
            if not self._selected.mf:
                return _sw(SW_FILE_NOT_FOUND)  # this generation wants SELECT MF first
            if data == self.profile.main_aid:
                self._selected = _Selection(mf=True, application=True)
                return _sw(SW_OK)
            if self.profile.auth_aid and data == self.profile.auth_aid:
                self._selected.auth_application = True
                return _sw(SW_OK)
            return _sw(SW_FILE_NOT_FOUND)
        if p1 == 0x09 and self._selected.application and data == self.profile.auth_cert_path:
            self._selected.certificate = True
            return _sw(SW_OK)
        return _sw(SW_FILE_NOT_FOUND)

    def _read_binary(self, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if not self._selected.certificate:
            return _sw(SW_CONDITIONS_NOT_SATISFIED)
        offset = ((p1 & 0x7F) << 8) | p2
        if offset >= len(self.certificate):
            return _sw(SW_WRONG_P1P2)
        want = 256 if le in (None, 0) else le
        remaining = len(self.certificate) - offset
        if want > self.profile.max_read_chunk:
            return _sw(SW_WRONG_LENGTH)
        if want > remaining:
            if self.profile.test_quirks.get("wrong_le_answers_6c"):
                return _sw(0x6C00 | remaining)
            return _sw(SW_END_OF_FILE, self.certificate[offset:])
        return _sw(SW_OK, self.certificate[offset : offset + want])

    def _verify(self, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if p2 != self.profile.pin_reference or (
            self.profile.auth_aid and not self._selected.auth_application
        ):
            return _sw(SW_REFERENCE_NOT_FOUND)
        if self.tries_left == 0:
            return _sw(SW_PIN_BLOCKED)
        if not data:  # "how many tries are left?" costs no try
            return _sw(SW_OK) if self._verified else _sw(0x63C0 | self.tries_left)
        if len(data) != self.profile.pin_pad_length:
            return _sw(SW_WRONG_LENGTH)
        candidate = data.rstrip(bytes([self.profile.pin_pad_byte]))
        if not candidate.isdigit():
            return _sw(SW_WRONG_DATA)
        if hmac.compare_digest(candidate, self._pin):
            self.tries_left = self.profile.max_pin_tries
            self._verified = True
            return _sw(SW_OK)
        self.tries_left -= 1
        self._verified = False
        return _sw(0x63C0 | self.tries_left)

    def _mse_set(self, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        expected = bytes(
            (0x80, 0x01, self.profile.algorithm_id, 0x84, 0x01, self.profile.key_reference)
        )
        if (p1, p2) != (0x41, 0xA4) or data != expected:
            return _sw(SW_WRONG_DATA)
        self._key_set = True
        return _sw(SW_OK)

    def _internal_authenticate(self, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if not self._verified:
            return _sw(SW_SECURITY_NOT_SATISFIED)
        if not self._key_set:
            return _sw(SW_CONDITIONS_NOT_SATISFIED)
        if not data.startswith(SHA256_DIGEST_INFO_PREFIX) or len(data) != 51:
            return _sw(SW_WRONG_DATA)
        signature = self._key.sign(
            data[len(SHA256_DIGEST_INFO_PREFIX) :],
            padding.PKCS1v15(),
            utils.Prehashed(hashes.SHA256()),
        )
        if self.profile.test_quirks.get("chain_responses"):
            # Hand the signature out in two pieces, as T=0 cards do: 61xx + GET RESPONSE.
            self._pending = signature[100:]
            return _sw(_more(len(self._pending)), signature[:100])
        return _sw(SW_OK, signature)

    def _get_response(self, le: int | None) -> bytes:
        if not self._pending:
            return _sw(SW_CONDITIONS_NOT_SATISFIED)
        want = 256 if le in (None, 0) else le
        part, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return _sw(_more(len(self._pending)), part)
        return _sw(SW_OK, part)


def _more(count: int) -> int:
    """61xx: xx more bytes wait; 00 stands for 256 or more."""
    return 0x6100 | (count if count < 256 else 0)


def _split_body(body: bytes) -> tuple[bytes, int | None]:
    """Data and Le of a short APDU body (after the 4 header bytes)."""
    if not body:
        return b"", None
    if len(body) == 1:
        return b"", body[0]
    lc = body[0]
    data = body[1 : 1 + lc]
    le = body[1 + lc] if len(body) > 1 + lc else None
    return data, le
