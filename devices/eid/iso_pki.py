"""The ISO 7816 PKI-applet flow most eID cards share, driven by a card profile.

This is the flow of the closest public card (the Estonian IDEMIA card in
web-eid's libelectronic-id): SELECT the application, SELECT the certificate
file by path and READ BINARY it in chunks, SELECT the authentication applet,
VERIFY the PIN, MSE:SET the key, INTERNAL AUTHENTICATE a DigestInfo. The
family classes subclass it and override only the step their card does
differently, so the constants stay in the profiles and the quirks in one
small class each.
"""

from __future__ import annotations

import hashlib

from devices.apdu import (
    SW_END_OF_FILE,
    SW_OK,
    SW_PIN_BLOCKED,
    SW_PIN_BLOCKED_ALT,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    Response,
    command,
    der_total_length,
    wipe,
)
from devices.eid.card import CardError, CardStatusError, EidCard, PinResult, PinStatus

# DER prefix of DigestInfo { sha256, NULL } (RFC 8017, 9.2 note 1).
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
# No authentication certificate is this long; a card claiming so is broken.
MAX_CERTIFICATE_BYTES = 8192


class IsoPkiCard(EidCard):
    """Generic profile-driven implementation; family classes adjust single steps."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._certificate: bytes | None = None

    # -- steps a family class may override -------------------------------------------
    def activate(self) -> None:
        self._select_aid(self.profile.main_aid, "select application")

    def _select_auth_application(self) -> None:
        if self.profile.auth_aid:
            self._select_aid(self.profile.auth_aid, "select authentication applet")

    # -- the interface -------------------------------------------------------------
    def read_auth_certificate(self) -> bytes:
        if self._certificate is None:
            self.activate()
            cla = self.profile.cla
            self._expect(
                self._send(command(cla, 0xA4, 0x09, 0x0C, self.profile.auth_cert_path)),
                "select certificate file",
            )
            self._certificate = self._read_binary_der()
        return self._certificate

    def pin_tries_left(self) -> int:
        self._select_auth_application()
        response = self._send(command(self.profile.cla, 0x20, 0x00, self.profile.pin_reference))
        if response.sw1 == 0x63 and response.sw2 & 0xF0 == 0xC0:
            return response.sw2 & 0x0F
        if response.sw == SW_OK:
            return self.profile.max_pin_tries  # already verified in this card session
        if response.sw in (SW_PIN_BLOCKED, SW_PIN_BLOCKED_ALT):
            return 0
        raise CardStatusError("read PIN tries", response.sw)

    def verify_pin(self, pin: bytearray) -> PinResult:
        profile = self.profile
        # Allocated once at its final size and filled in place: a buffer grown with
        # ``+=`` may be moved by realloc, and the freed old block keeps the digits.
        apdu = bytearray(5 + profile.pin_pad_length)
        try:
            # Longer than the padded field would grow the buffer: refused as a bad format.
            longest = min(profile.pin_max_length, profile.pin_pad_length)
            if not profile.pin_min_length <= len(pin) <= longest or not all(0x30 <= b <= 0x39 for b in pin):
                return PinResult(PinStatus.ERROR, reason="pin_format")
            self._select_auth_application()
            apdu[0:5] = (profile.cla, 0x20, 0x00, profile.pin_reference, profile.pin_pad_length)
            apdu[5 : 5 + len(pin)] = pin
            for i in range(5 + len(pin), len(apdu)):
                apdu[i] = profile.pin_pad_byte
            response = self._send(apdu)
        finally:
            wipe(pin)
            wipe(apdu)
        return self._pin_result(response.sw)

    def sign(self, data: bytes) -> bytes:
        profile = self.profile
        mse = bytes((0x80, 0x01, profile.algorithm_id, 0x84, 0x01, profile.key_reference))
        self._expect(self._send(command(profile.cla, 0x22, 0x41, 0xA4, mse)), "MSE:SET")
        digest_info = SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(data).digest()
        response = self._send(command(profile.cla, 0x88, 0x00, 0x00, digest_info, le=0))
        if response.sw == SW_SECURITY_NOT_SATISFIED:
            raise CardStatusError("sign (PIN not verified)", response.sw)
        self._expect(response, "INTERNAL AUTHENTICATE")
        if not response.data:
            raise CardError("INTERNAL AUTHENTICATE returned no signature")
        return response.data

    # -- helpers -------------------------------------------------------------------
    def _send(self, apdu: bytes | bytearray) -> Response:
        return self._transport.transmit(apdu)

    @staticmethod
    def _expect(response: Response, step: str) -> Response:
        if response.sw != SW_OK:
            raise CardStatusError(step, response.sw)
        return response

    def _select_aid(self, aid: bytes, step: str) -> None:
        self._expect(self._send(command(self.profile.cla, 0xA4, 0x04, 0x0C, aid)), step)

    def _read_binary_der(self) -> bytes:
        """READ BINARY in chunks until the DER object is complete.

        The certificate's own DER header says how long it is, so the file
        size (not always readable) is not needed and no read goes past it.
        """
        chunk = self.profile.max_read_chunk
        content = bytearray()
        total: int | None = None
        while total is None or len(content) < total:
            offset = len(content)
            if offset > 0x7FFF or offset > MAX_CERTIFICATE_BYTES:
                raise CardError("certificate file is longer than any certificate")
            want = chunk if total is None else min(chunk, total - offset)
            response = self._send(command(self.profile.cla, 0xB0, offset >> 8, offset & 0xFF, le=want))
            if response.sw not in (SW_OK, SW_END_OF_FILE):
                raise CardStatusError("read certificate", response.sw)
            content += response.data
            if total is None:
                total = der_total_length(bytes(content))
                if total is None and len(content) >= 6:
                    raise CardError("certificate file does not hold a DER object")
            if response.sw == SW_END_OF_FILE or not response.data:
                break
        if total is None or len(content) < total:
            raise CardError("certificate file ended before the certificate did")
        return bytes(content[:total])

    def _pin_result(self, sw: int) -> PinResult:
        if sw == SW_OK:
            return PinResult(PinStatus.OK, self.profile.max_pin_tries)
        if sw >> 8 == 0x63 and sw & 0xF0 == 0xC0:
            left = sw & 0x0F
            return PinResult(PinStatus.BLOCKED, 0) if left == 0 else PinResult(PinStatus.WRONG, left)
        if sw in (SW_PIN_BLOCKED, SW_PIN_BLOCKED_ALT):
            return PinResult(PinStatus.BLOCKED, 0)
        if sw in (SW_WRONG_LENGTH, SW_WRONG_DATA):
            return PinResult(PinStatus.ERROR, reason="pin_format")
        return PinResult(PinStatus.ERROR, reason=f"sw_{sw:04X}")
