"""Card login end to end: real pcscd + vpcd + virtual card, the real portal simulator and
client for the online path, the trust files for the offline path."""

from __future__ import annotations

import logging
import socket

import pytest

from devices.virtual_applet import VirtualApplet
from devices.virtual_card import VirtualCard
from kiosk.login import (
    CardExpired,
    CardLogin,
    CardRemoved,
    CardRevoked,
    LoginError,
    LoginOk,
    PinBlocked,
    UnknownCard,
    WrongPin,
)
from kiosk.portal import simulator
from kiosk.portal.client import PortalClient
from kiosk.testpki import TestPki
from kiosk.trust import TrustStore, verify_card_signature

pytestmark = pytest.mark.pcsc


@pytest.fixture
def portal(tmp_path, test_pki):
    running = simulator.start(tmp_path / "portal.sqlite", test_pki.dir, tmp_path / "sealing.key")
    client = PortalClient(running.url, connect_timeout_s=2, read_timeout_s=5, kiosk_id="test-kiosk")
    yield client
    client.close()
    running.stop()


@pytest.fixture
def offline_portal():
    """A client for a portal that is not there: a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PortalClient(f"http://127.0.0.1:{port}", connect_timeout_s=1, read_timeout_s=1,
                          kiosk_id="test-kiosk")
    yield client
    client.close()


@pytest.fixture
def trust(test_pki):
    return TrustStore.from_files(test_pki.chain_path, test_pki.crl_path)


@pytest.fixture
def insert(reader_service, make_card):
    """Insert a virtual card; returns (EidCard, VirtualCard) once the reader says ready."""
    _, seen = reader_service()

    def insert(citizen="citizen", **options):
        virtual = make_card(citizen, **options)
        virtual.insert()
        return seen.wait_for("ready").card, virtual

    return insert


def test_online_login_right_pin(insert, portal, trust, test_pki):
    eid, _ = insert()
    pin = bytearray(b"1234")
    outcome = CardLogin(trust)(eid, pin, portal)
    assert isinstance(outcome, LoginOk) and not outcome.offline
    assert outcome.token
    assert outcome.citizen["personal_number"] == test_pki.citizen("citizen").personal_number
    assert {"given_name", "surname", "date_of_birth", "mobile", "email"} <= set(outcome.citizen)
    assert pin == bytearray(4)


def test_wrong_pin_down_to_blocked(insert, portal, trust):
    eid, virtual = insert()
    login = CardLogin(trust)
    assert login(eid, bytearray(b"1111"), portal) == WrongPin(2)
    assert login(eid, bytearray(b"2222"), portal) == WrongPin(1)
    assert login(eid, bytearray(b"3333"), portal) == PinBlocked()
    assert login(eid, bytearray(b"1234"), portal) == PinBlocked()
    assert virtual.applet.tries_left == 0


def test_expired_card_is_refused_before_a_pin_try_is_spent(insert, portal, trust):
    eid, virtual = insert("expired")
    assert CardLogin(trust)(eid, bytearray(b"1234"), portal) == CardExpired()
    assert virtual.applet.tries_left == 3


@pytest.mark.parametrize(("citizen", "outcome"), [("expired", CardExpired()), ("revoked", CardRevoked())])
def test_portal_verdicts_without_local_trust(insert, portal, citizen, outcome):
    """With no trust files the portal decides, and its 401 codes become the same outcomes."""
    eid, _ = insert(citizen)
    assert CardLogin(None)(eid, bytearray(b"1234"), portal) == outcome


def test_revoked_card_refused_from_cached_crl(insert, offline_portal, trust):
    eid, virtual = insert("revoked")
    assert CardLogin(trust)(eid, bytearray(b"1234"), offline_portal) == CardRevoked()
    assert virtual.applet.tries_left == 3


def test_offline_login_checks_chain_crl_and_a_fresh_nonce(insert, offline_portal, trust, test_pki):
    eid, virtual = insert()
    nonces = []

    def nonce():
        nonces.append(bytes(range(32)))
        return nonces[-1]

    outcome = CardLogin(trust, nonce=nonce)(eid, bytearray(b"1234"), offline_portal)
    assert isinstance(outcome, LoginOk) and outcome.offline and outcome.token is None
    citizen = test_pki.citizen("citizen")
    assert outcome.citizen == {"personal_number": citizen.personal_number,
                               "given_name": citizen.given_name, "surname": citizen.surname}
    assert len(nonces) == 1  # the card signed the kiosk's own nonce


def test_offline_refuses_a_card_from_another_ca(insert, offline_portal, tmp_path):
    eid, _ = insert()
    stranger = TestPki(tmp_path / "other").ensure()
    other_trust = TrustStore.from_files(stranger.chain_path, stranger.crl_path)
    assert CardLogin(other_trust)(eid, bytearray(b"1234"), offline_portal) == UnknownCard()


def test_offline_refuses_a_copied_certificate_without_its_key(pcsc, test_pki, reader_service,
                                                              offline_portal, trust):
    """A card carrying a real citizen's certificate but another key signs the nonce wrongly."""
    from cryptography.hazmat.primitives import serialization

    from devices.eid.profiles import profile_named

    cert_der = test_pki.citizen("citizen").certificate().public_bytes(serialization.Encoding.DER)
    wrong_key = test_pki.citizen("second").private_key()
    forged = VirtualCard(VirtualApplet(profile_named("virtual"), cert_der, wrong_key, "1234"),
                         pcsc.port)
    _, seen = reader_service()
    forged.insert()
    try:
        eid = seen.wait_for("ready").card
        assert CardLogin(trust)(eid, bytearray(b"1234"), offline_portal) == LoginError("bad_signature")
    finally:
        forged.remove()
        pcsc.wait_slot_empty()


def test_offline_without_trust_files_is_refused(insert, offline_portal):
    eid, _ = insert()
    assert CardLogin(None)(eid, bytearray(b"1234"), offline_portal) == LoginError("portal_offline")


def test_card_pulled_during_signing_is_card_removed(insert, portal, trust):
    eid, virtual = insert()
    eid.read_auth_certificate()
    # certificate cached; next: SELECT auth, VERIFY, MSE:SET, then INTERNAL AUTHENTICATE
    virtual.faults.remove_at_apdu = virtual.apdu_count + 4
    assert CardLogin(trust)(eid, bytearray(b"1234"), portal) == CardRemoved()


def test_pin_never_in_logs_or_outcomes(insert, portal, offline_portal, trust, caplog):
    caplog.set_level(logging.DEBUG)
    eid, virtual = insert(pin="7351")
    login = CardLogin(trust)
    outcomes = [login(eid, bytearray(b"7350"), portal), login(eid, bytearray(b"7351"), portal),
                login(eid, bytearray(b"7351"), offline_portal)]
    virtual.faults.remove_at_apdu = virtual.apdu_count + 2
    outcomes.append(login(eid, bytearray(b"7351"), portal))
    assert [type(o).__name__ for o in outcomes] == ["WrongPin", "LoginOk", "LoginOk", "CardRemoved"]
    text = caplog.text + " ".join(repr(o) for o in outcomes)
    for secret in ("7351", "7350", "37 33 35 31", "37333531"):
        assert secret not in text
    assert "01001012345" not in caplog.text  # nor the personal number


def test_the_signature_the_portal_gets_is_over_its_challenge(insert, trust, test_pki):
    """A tiny recording portal: what the card signed is exactly the challenge bytes."""
    import base64

    eid, _ = insert()
    seen = {}

    class RecordingPortal:
        def auth_challenge(self):
            return {"challenge_id": "c1", "challenge": base64.b64encode(b"C" * 32).decode()}

        def auth_card(self, challenge_id, certificate_der, signature):
            seen.update(challenge_id=challenge_id, cert=certificate_der, sig=signature)
            return {"session_token": "t", "citizen": {"personal_number": "x"}, "first_login": True}

    outcome = CardLogin(trust)(eid, bytearray(b"1234"), RecordingPortal())
    assert outcome.first_login and outcome.token == "t"
    assert verify_card_signature(seen["cert"], b"C" * 32, seen["sig"])
    assert seen["challenge_id"] == "c1"
