"""Card and password login at the simulated portal: every 401 reason code."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from kiosk.portal.errors import PortalUnauthorised
from kiosk.testpki import TestPki
from tests.portal_fixtures import login_card


def _code(call) -> str:
    with pytest.raises(PortalUnauthorised) as caught:
        call()
    return caught.value.code


def test_the_demo_card_logs_in(client, pki) -> None:
    session = login_card(client, pki.citizen("citizen"))
    assert session["citizen"]["personal_number"] == "01001012345"
    assert session["citizen"]["given_name"] == "ნინო"


def test_an_expired_card_is_refused(client, pki) -> None:
    assert _code(lambda: login_card(client, pki.citizen("expired"))) == "certificate_expired"


def test_a_revoked_card_is_refused(client, pki) -> None:
    assert _code(lambda: login_card(client, pki.citizen("revoked"))) == "certificate_revoked"


def test_a_revocation_applies_without_restarting_the_portal(client, pki) -> None:
    citizen = pki.issue_citizen("soon-revoked", "22222222222", "ანა", "ლომიძე")
    login_card(client, citizen)
    pki.revoke(citizen)
    assert _code(lambda: login_card(client, citizen)) == "certificate_revoked"


def test_a_card_from_another_pki_is_refused(client, tmp_path) -> None:
    stranger = TestPki(tmp_path / "other").issue_citizen("x", "33333333333", "ა", "ბ")
    assert _code(lambda: login_card(client, stranger)) == "unknown_issuer"


def test_a_card_not_yet_valid_is_refused(client, pki) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    citizen = pki.issue_citizen("future", "44444444444", "ა", "ბ", not_before=future)
    assert _code(lambda: login_card(client, citizen)) == "certificate_expired"


def test_a_signature_by_another_key_is_refused(client, pki) -> None:
    owner, thief = pki.citizen("citizen"), pki.issue_citizen("thief", "55555555555", "ა", "ბ")
    challenge = client.auth_challenge()
    signature = thief.private_key().sign(base64.b64decode(challenge["challenge"]),
                                         padding.PKCS1v15(), hashes.SHA256())
    der = owner.certificate().public_bytes(Encoding.DER)
    code = _code(lambda: client.auth_card(challenge["challenge_id"], der, signature))
    assert code == "bad_signature"


def test_a_challenge_is_good_for_one_login_only(client, pki) -> None:
    citizen = pki.citizen("citizen")
    challenge = client.auth_challenge()
    signature = citizen.private_key().sign(base64.b64decode(challenge["challenge"]),
                                           padding.PKCS1v15(), hashes.SHA256())
    der = citizen.certificate().public_bytes(Encoding.DER)
    client.auth_card(challenge["challenge_id"], der, signature)
    code = _code(lambda: client.auth_card(challenge["challenge_id"], der, signature))
    assert code == "challenge_expired"


def test_an_expired_challenge_is_refused(client, pki, sim, raw) -> None:
    raw.post(sim.url + "/_sim/settings", json={"challenge_ttl_s": -1})
    assert _code(lambda: login_card(client, pki.citizen("citizen"))) == "challenge_expired"


@pytest.mark.parametrize(("username", "password"), [("demo", "wrong"), ("nobody", "demo-1234")])
def test_wrong_credentials_are_refused_alike(client, username, password) -> None:
    assert _code(lambda: client.auth_password(username, password)) == "bad_credentials"


def test_the_password_never_appears_in_an_error(client) -> None:
    with pytest.raises(PortalUnauthorised) as caught:
        client.auth_password("demo", "secret-4321")
    assert "secret-4321" not in str(caught.value) + repr(caught.value.args)
