"""Fuzz: what an eID card (or a file about cards) tells the kiosk.

What is fuzzed, at unit level (the real PC/SC path is tested elsewhere):

* `devices.apdu`: `Response.parse` and `transmit_complete` with a raw
  transmit that answers hypothesis-made bytes (61xx chains, 6Cxx, short
  answers), and `der_total_length` on any head bytes;
* `devices.eid.card.card_for_atr` on any ATR bytes;
* every card family class (`devices.eid`), driven through a fake transport
  that answers each command with a hypothesis-made response (status words,
  certificate chunks, tries-left answers, signatures), the way
  `devices.card_session.CardSession.transmit` would (MalformedResponse ->
  CardCommunicationError);
* `kiosk.trust`: certificate DER that is a real citizen certificate with
  bytes changed, inserted or cut; certificates properly signed by the test
  CA but with random validity, subject and (possibly unparsable) extensions;
  CRL files of random or damaged bytes.

"Handled" means: card code returns normally or raises a `CardError` subclass
(`apdu` alone: `MalformedResponse`); `card_for_atr` gives an `EidCard` or
`UnknownCardError`; `verify_pin` returns a `PinResult` with a sane
``tries_left``; `pin_tries_left` an int 0..15; `TrustStore.check` and
`validity` return a `TrustResult`, `verify_card_signature` a bool, and
`TrustStore.from_files` a store or `TrustError`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from hypothesis import example, given
from hypothesis import strategies as st

from devices.apdu import MalformedResponse, Response, der_total_length, transmit_complete
from devices.eid import CardCommunicationError, CardError, EidCard, PinResult, PinStatus, UnknownCardError
from devices.eid.card import card_for_atr
from devices.eid.profiles import all_profiles
from kiosk.testpki import TestPki
from kiosk.trust import TrustError, TrustResult, TrustStore, Verdict, verify_card_signature
from tests.fuzz_profiles import fuzz

# ---------------------------------------------------------------- APDU level

raw_answers = st.lists(st.binary(max_size=40) | st.tuples(st.sampled_from([0x61, 0x6C, 0x90, 0x63, 0x69]),
                                                          st.integers(0, 255)).map(bytes),
                       min_size=1, max_size=40)


class ScriptedCard:
    """A raw transmit that answers from a list, then "9000" forever."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def __call__(self, apdu: bytes | bytearray) -> bytes:
        self.sent.append(bytes(apdu))
        return self.answers.pop(0) if self.answers else b"\x90\x00"


@fuzz(300)
@given(raw_answers, st.binary(min_size=4, max_size=20))
@example([b"\x61\x00"] * 40, b"\x00\xb0\x00\x00\x00")
@example([b"\x6c\x10", b"\x6c\x10", b""], b"\x00\xb0\x00\x00")
def test_transmit_complete_gives_response_or_malformed(answers: list[bytes], apdu: bytes) -> None:
    try:
        response = transmit_complete(ScriptedCard(answers), apdu)
    except MalformedResponse:
        return
    assert isinstance(response, Response) and 0 <= response.sw <= 0xFFFF


@fuzz(200)
@given(st.binary(max_size=10))
def test_der_total_length_is_none_or_at_least_the_header(head: bytes) -> None:
    total = der_total_length(head)
    assert total is None or total >= 2


@fuzz(300)
@given(st.binary(max_size=40) | st.sampled_from([p.atr for p in all_profiles()]))
def test_any_atr_gives_a_card_class_or_unknown_card(atr: bytes) -> None:
    for allow in (False, True):
        try:
            card = card_for_atr(atr, transport=None, allow_test_cards=allow)  # type: ignore[arg-type]
        except UnknownCardError as exc:
            assert str(exc)
        else:
            assert isinstance(card, EidCard) and card.profile.matches(atr)


# ---------------------------------------------------------------- card classes

responses = st.one_of(
    st.builds(lambda d, sw: d + sw.to_bytes(2, "big"), st.binary(max_size=300),
              st.sampled_from([0x9000, 0x6282, 0x6982, 0x6983, 0x6984, 0x6700, 0x6A80, 0x6A82, 0x6F00]
                              + [0x63C0 + n for n in range(16)] + [0x6300, 0x61FF, 0x6C10])
              | st.integers(0, 0xFFFF)),
    st.binary(max_size=3),
    # A certificate head claiming a length, then chunks.
    st.builds(lambda n, rest: bytes([0x30, 0x80 | len(n)]) + n + rest + b"\x90\x00",
              st.binary(min_size=0, max_size=5), st.binary(max_size=100)),
)


class FakeTransport:
    """What CardSession.transmit does, over scripted raw answers (then 9000 forever)."""

    def __init__(self, answers: list[bytes]) -> None:
        self.raw = ScriptedCard(answers)

    def transmit(self, apdu: bytes | bytearray) -> Response:
        try:
            return transmit_complete(self.raw, apdu)
        except MalformedResponse as exc:
            raise CardCommunicationError(str(exc)) from None


OPERATIONS = ("activate", "read_auth_certificate", "pin_tries_left", "verify_pin", "verify_pin_bad",
              "sign", "get_data")


@fuzz(150)
@given(st.sampled_from(all_profiles()), st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=4),
       st.lists(responses, max_size=30))
@example(all_profiles()[0], ["read_auth_certificate"], [b"\x90\x00", b"\x90\x00", b"\x90\x00",
                                                         b"\x30\x84\xff\xff\xff\xff\x90\x00"])
@example(all_profiles()[0], ["pin_tries_left", "verify_pin"], [b"\x90\x00", b"\x63\xc0", b"\x90\x00",
                                                                b"\x63\xcf"])
def test_card_classes_raise_only_card_errors(profile, operations: list[str], answers: list[bytes]) -> None:
    card = card_for_atr(profile.atr, FakeTransport(answers), allow_test_cards=True)
    for operation in operations:
        try:
            if operation == "activate":
                card.activate()
            elif operation == "read_auth_certificate":
                der = card.read_auth_certificate()
                assert isinstance(der, bytes) and der_total_length(der) == len(der)
            elif operation == "pin_tries_left":
                assert 0 <= card.pin_tries_left() <= max(15, profile.max_pin_tries)
            elif operation in ("verify_pin", "verify_pin_bad"):
                pin = bytearray(b"1234" if operation == "verify_pin" else b"12\xff4")
                result = card.verify_pin(pin)
                assert not any(pin), "the PIN buffer is wiped"
                assert isinstance(result, PinResult)
                if result.status is PinStatus.WRONG:
                    assert result.tries_left is not None and 1 <= result.tries_left <= 15
                if result.status is PinStatus.BLOCKED:
                    assert result.tries_left == 0
            elif operation == "sign":
                signature = card.sign(b"challenge")
                assert isinstance(signature, bytes) and signature
            elif hasattr(card, "get_data"):
                assert isinstance(card.get_data(0x01, 0x02), bytes)
        except CardError as exc:
            assert str(exc)


# ---------------------------------------------------------------- trust

@pytest.fixture(scope="module")
def pki() -> Iterator[tuple[TestPki, TrustStore, bytes]]:
    with tempfile.TemporaryDirectory() as folder:
        test_pki = TestPki(folder).ensure()
        citizen = test_pki.issue_citizen("fuzz", "01001012345", "Giorgi", "Beridze")
        der = citizen.certificate().public_bytes(serialization.Encoding.DER)
        yield test_pki, TrustStore.from_files(test_pki.chain_path, test_pki.crl_path), der


def assert_trust_handled(store: TrustStore, der: bytes) -> None:
    assert isinstance(store.check(der), TrustResult)
    assert isinstance(store.validity(der), TrustResult)
    assert verify_card_signature(der, b"data", b"\x00" * 256) in (True, False)


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut"]))
        if not data:
            break
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del data[at]
        else:
            del data[at:]
    return bytes(data)


@fuzz(300)
@given(st.data())
def test_damaged_certificates_get_a_verdict(pki, data: st.DataObject) -> None:
    _, store, der = pki
    assert_trust_handled(store, data.draw(damaged(der) | st.binary(max_size=200)))


@pytest.mark.parametrize("first_serial_byte", [0x80, 0xFF, 0x00])
def test_a_serial_number_of_zero_or_below_is_a_bad_certificate(pki, first_serial_byte: int) -> None:
    """Found by CI's fuzzing: one damaged byte made the serial negative, and the
    CRL lookup raised ValueError instead of giving a verdict."""
    _, store, der = pki
    serial = x509.load_der_x509_certificate(der).serial_number
    serial_bytes = serial.to_bytes((serial.bit_length() + 7) // 8, "big")
    at = der.index(serial_bytes)
    damaged_der = der[:at] + bytes([first_serial_byte]) + der[at + 1:]
    if first_serial_byte == 0x00:  # zero only when every byte is zero
        damaged_der = der[:at] + bytes(len(serial_bytes)) + der[at + len(serial_bytes):]
    assert store.check(damaged_der).verdict is Verdict.BAD_CERTIFICATE
    assert store.validity(damaged_der).verdict is Verdict.BAD_CERTIFICATE


def test_a_certificate_of_an_unknown_version_is_a_bad_certificate(pki) -> None:
    """Found by a long hunt: version 4 (byte 3) raised x509.InvalidVersion, not a ValueError."""
    _, store, der = pki
    at = der.index(b"\xa0\x03\x02\x01\x02") + 4
    damaged_der = der[:at] + b"\x03" + der[at + 1:]
    assert store.check(damaged_der).verdict is Verdict.BAD_CERTIFICATE
    assert store.validity(damaged_der).verdict is Verdict.BAD_CERTIFICATE
    assert verify_card_signature(damaged_der, b"data", b"\x00" * 256) is False


CITIZEN_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
extension_choices = st.sampled_from([
    x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x03\x02"),
    x509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\xff"),
    x509.UnrecognizedExtension(ExtensionOID.EXTENDED_KEY_USAGE, b""),
    x509.BasicConstraints(ca=True, path_length=None),
    x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                  data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                  encipher_only=False, decipher_only=False),
]) | st.builds(x509.UnrecognizedExtension, st.sampled_from([ExtensionOID.KEY_USAGE,
                                                             ExtensionOID.BASIC_CONSTRAINTS]),
               st.binary(max_size=8))


@fuzz(20)
@given(st.datetimes(min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2200, 1, 1)),
       st.integers(0, 40000), st.lists(extension_choices, max_size=2, unique_by=lambda e: e.oid),
       st.text(alphabet="0123456789ABCDEFGHIJ -", min_size=1, max_size=20), st.integers(1, 2**158))
@example(dt.datetime(2020, 1, 1), 30000, [x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x01")],
         "x", 7)
def test_ca_signed_certificates_of_any_content_get_a_verdict(pki, start: dt.datetime, days: int,
                                                             extensions: list, name: str,
                                                             serial: int) -> None:
    """A certificate the configured CA did sign, with unparsable extensions, once raised ValueError."""
    test_pki, store, _ = pki
    ca, ca_key = test_pki._load("auth-ca")
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, name)]))
               .issuer_name(ca.subject).public_key(CITIZEN_KEY.public_key()).serial_number(serial)
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days)))
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    der = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    assert_trust_handled(store, der)


@fuzz(100)
@given(st.data())
def test_crl_files_of_any_bytes_give_a_store_or_trust_error(pki, data: st.DataObject) -> None:
    test_pki, _, der = pki
    original = test_pki.crl_path.read_bytes()
    crl_der = x509.load_pem_x509_crl(original).public_bytes(serialization.Encoding.DER)
    crl = data.draw(damaged(original) | damaged(crl_der) | st.binary(max_size=100))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "auth.crl")
        path.write_bytes(crl)
        try:
            store = TrustStore.from_files(test_pki.chain_path, path)
        except TrustError as exc:
            assert "reader.crl" in str(exc)
            return
    assert_trust_handled(store, der)


def test_a_damaged_issuer_name_is_a_bad_certificate(pki) -> None:
    """cryptography parses the issuer lazily: a changed string tag in it once raised ValueError."""
    _, store, der = pki
    damaged_der = der.replace(b"\x0c&Test", b"\x0d&Test", 1)  # issuer O: UTF8String -> tag 13
    assert damaged_der != der
    assert store.check(damaged_der).verdict == "bad_certificate"
    assert store.validity(damaged_der).verdict == "bad_certificate"


def test_a_name_attribute_turned_bit_string_is_a_bad_certificate(pki) -> None:
    """cryptography raises TypeError (not ValueError) for a BIT STRING country name; found by a long run."""
    _, store, der = pki
    damaged_der = der.replace(b"\x06\x03U\x04\x06\x13\x02GE", b"\x06\x03U\x04\x06\x03\x02GE", 1)
    assert damaged_der != der
    assert store.check(damaged_der).verdict == "bad_certificate"
    assert store.validity(damaged_der).verdict == "bad_certificate"


def test_a_key_of_an_unknown_algorithm_is_no_valid_signature(pki) -> None:
    """public_key() raises UnsupportedAlgorithm (not a ValueError) for an unknown key OID."""
    _, _, der = pki
    rsa_oid = bytes.fromhex("06092a864886f70d0101010500")
    unknown = der.replace(rsa_oid, bytes.fromhex("06092a864886f70d01010f0500"), 1)
    assert unknown != der
    assert verify_card_signature(unknown, b"data", b"\x00" * 256) is False


def test_an_expired_ca_flagged_certificate_without_cn_gets_a_verdict(pki) -> None:
    """_cn() once indexed the CN of a CA-flagged certificate that had none (IndexError)."""
    test_pki, store, _ = pki
    ca, ca_key = test_pki._load("auth-ca")
    start = dt.datetime(2000, 1, 1)
    der = (x509.CertificateBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "0")]))
           .issuer_name(ca.subject).public_key(CITIZEN_KEY.public_key()).serial_number(1)
           .not_valid_before(start).not_valid_after(start + dt.timedelta(days=1))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=False)
           .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    assert store.check(der).verdict == "expired"


def test_a_crl_with_a_damaged_issuer_name_is_refused_at_load(pki) -> None:
    """Found by the fuzzer in a fresh-clone run: the CRL's issuer was parsed lazily and
    raised ValueError during a later check instead of a TrustError at load."""
    test_pki, _, _ = pki
    der = x509.load_pem_x509_crl(test_pki.crl_path.read_bytes()).public_bytes(serialization.Encoding.DER)
    damaged_der = der.replace(b"\x0c&Test", b"\x0d&Test", 1)
    assert damaged_der != der
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "auth.crl")
        path.write_bytes(damaged_der)
        with pytest.raises(TrustError, match="reader.crl"):
            TrustStore.from_files(test_pki.chain_path, path)
