"""Offline trust decisions on the test PKI's certificates (no PC/SC needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding

from kiosk.config import Config, ReaderSection
from kiosk.login import card_login_function
from kiosk.trust import (
    TrustError,
    TrustStore,
    Verdict,
    citizen_from_certificate,
    verify_card_signature,
)


def der(test_pki, name):
    return test_pki.citizen(name).certificate().public_bytes(Encoding.DER)


@pytest.fixture
def trust(test_pki):
    return TrustStore.from_files(test_pki.chain_path, test_pki.crl_path)


@pytest.mark.parametrize(
    ("name", "verdict"),
    [("citizen", Verdict.OK), ("second", Verdict.OK), ("expired", Verdict.EXPIRED),
     ("revoked", Verdict.REVOKED)],
)
def test_verdicts(trust, test_pki, name, verdict):
    assert trust.check(der(test_pki, name)).verdict is verdict


def test_overdue_crl_is_tolerated_for_a_while_then_not(trust, test_pki):
    crl_next = trust.crls[0].next_update_utc
    a_bit_late = trust.check(der(test_pki, "citizen"), now=crl_next + dt.timedelta(days=1))
    assert a_bit_late.ok and a_bit_late.crl_overdue
    far_too_late = trust.check(der(test_pki, "citizen"), now=crl_next + dt.timedelta(days=30))
    assert far_too_late.verdict is Verdict.REVOCATION_UNKNOWN


def test_without_crl_revocation_is_unknown(test_pki):
    store = TrustStore.from_files(test_pki.chain_path)
    assert store.check(der(test_pki, "citizen")).verdict is Verdict.REVOCATION_UNKNOWN


def test_a_crl_not_signed_by_the_ca_is_ignored(test_pki, tmp_path):
    from kiosk.testpki import TestPki

    stranger = TestPki(tmp_path / "other").ensure()
    store = TrustStore.from_files(test_pki.chain_path, stranger.crl_path)
    assert store.check(der(test_pki, "citizen")).verdict is Verdict.REVOCATION_UNKNOWN


def test_root_only_bundle_trusts_no_card(test_pki):
    store = TrustStore.from_files(test_pki.root_cert_path, test_pki.crl_path)
    assert store.check(der(test_pki, "citizen")).verdict is Verdict.UNKNOWN_ISSUER


def test_garbage_and_missing_files(trust, tmp_path):
    assert trust.check(b"\x30\x03\x02\x01\x00").verdict is Verdict.BAD_CERTIFICATE
    with pytest.raises(TrustError):
        TrustStore.from_files(tmp_path / "missing.pem")


def test_citizen_and_signature_helpers(test_pki):
    citizen = test_pki.citizen("citizen")
    cert = der(test_pki, "citizen")
    assert citizen_from_certificate(cert) == {"personal_number": citizen.personal_number,
                                              "given_name": citizen.given_name,
                                              "surname": citizen.surname}
    signature = citizen.private_key().sign(b"nonce", PKCS1v15(), hashes.SHA256())
    assert verify_card_signature(cert, b"nonce", signature)
    assert not verify_card_signature(cert, b"other", signature)


def test_login_function_from_config(test_pki, tmp_path):
    configured = card_login_function(Config(reader=ReaderSection(
        trusted_root=str(test_pki.chain_path), crl=str(test_pki.crl_path))))
    assert configured.trust is not None
    broken = card_login_function(Config(reader=ReaderSection(trusted_root=str(tmp_path / "x.pem"))))
    assert broken.trust is None  # logged; the kiosk still logs citizens in online
