"""A queued submission's card is judged at the request's signed created_at, not at arrival.

A kiosk may stay offline for days; a card that expires or is revoked in
that time must not turn what the citizen asked while it was good into a
dead letter. What the card could not have signed validly (expired or
revoked before the request's time, or a time in the future) is still
refused. created_at is inside canonical(request), which both the card and
the kiosk sign, so it cannot be moved without breaking both signatures.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from kiosk.portal.errors import PortalRejected
from kiosk.testpki import Citizen, TestPki
from tests.portal_fixtures import make_submission, sim_get


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A PKI of this module's own: these tests rewrite its CRL."""
    own = TestPki(tmp_path_factory.mktemp("card-time-pki"))
    own.make_demo()
    return own


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _refusal(client, key: str, submission: dict) -> str:
    with pytest.raises(PortalRejected) as caught:
        client.submit_transaction(key, submission)
    assert caught.value.status == 422
    return caught.value.code


def _expired_yesterday(pki: TestPki, name: str) -> Citizen:
    return pki.issue_citizen(name, "66666666666", "ეკა", "ხარაძე",
                             not_before=_now() - dt.timedelta(days=30),
                             not_after=_now() - dt.timedelta(days=1))


def test_a_card_that_expired_after_the_citizen_asked_is_accepted(client, sim, pki) -> None:
    citizen = _expired_yesterday(pki, "expired-after")
    asked = _now() - dt.timedelta(days=3)  # asked, then the kiosk was offline for three days
    receipt = client.submit_transaction("asked-in-time", make_submission(
        sim, citizen=citizen, created_at=asked))
    assert receipt["status"] == "received"
    assert sim_get(sim, "/_sim/transactions")["items"][0]["card_signed"] is True


def test_a_card_that_had_expired_when_the_citizen_asked_is_refused(client, sim, pki) -> None:
    citizen = _expired_yesterday(pki, "expired-before")
    submission = make_submission(sim, citizen=citizen, created_at=_now())
    assert _refusal(client, "asked-too-late", submission) == "card_certificate_invalid"


def test_a_card_not_yet_valid_when_the_citizen_asked_is_refused(client, sim, pki) -> None:
    citizen = pki.issue_citizen("new-card", "67676767676", "ეკა", "ხარაძე")  # valid from yesterday
    submission = make_submission(sim, citizen=citizen, created_at=_now() - dt.timedelta(days=2))
    assert _refusal(client, "before-issue", submission) == "card_certificate_invalid"


def test_a_card_revoked_after_the_citizen_asked_is_accepted(client, sim, pki) -> None:
    citizen = pki.issue_citizen("revoked-after", "77777777777", "გიორგი", "ბაქრაძე")
    submission = make_submission(sim, citizen=citizen, created_at=_now() - dt.timedelta(hours=2))
    pki.revoke(citizen)  # the CRL dates the revocation a minute ago
    assert client.submit_transaction("revoked-later", submission)["status"] == "received"


def test_a_card_revoked_before_the_citizen_asked_is_refused(client, sim, pki) -> None:
    citizen = pki.issue_citizen("revoked-before", "88888888888", "გიორგი", "ბაქრაძე")
    pki.revoke(citizen)
    submission = make_submission(sim, citizen=citizen, created_at=_now())
    assert _refusal(client, "revoked-first", submission) == "card_certificate_invalid"


def _revoke_with_invalidity(pki: TestPki, citizen: Citizen, invalid_since: dt.datetime) -> None:
    """A CRL entry revoked now whose key is known compromised since ``invalid_since``."""
    ca = x509.load_pem_x509_certificate(pki.auth_ca_cert_path.read_bytes())
    key = serialization.load_pem_private_key((Path(pki.dir) / "auth-ca.key").read_bytes(), None)
    old = x509.load_pem_x509_crl(pki.crl_path.read_bytes())
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
               .last_update(_now() - dt.timedelta(minutes=5))
               .next_update(_now() + dt.timedelta(days=7)))
    for entry in old:
        builder = builder.add_revoked_certificate(entry)
    builder = builder.add_revoked_certificate(
        x509.RevokedCertificateBuilder().serial_number(citizen.serial)
        .revocation_date(_now() - dt.timedelta(minutes=1))
        .add_extension(x509.InvalidityDate(invalid_since.replace(tzinfo=None)), critical=False)
        .build())
    crl = builder.sign(key, hashes.SHA256())  # type: ignore[arg-type]
    pki.crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))


def test_the_invalidity_date_counts_when_it_is_earlier(client, sim, pki) -> None:
    """Stolen this morning, reported now: what was signed in between is not the citizen's."""
    citizen = pki.issue_citizen("stolen", "99999999999", "ნანა", "ჯაფარიძე")
    honest = make_submission(sim, citizen=citizen, created_at=_now() - dt.timedelta(hours=20))
    thief = make_submission(sim, citizen=citizen, created_at=_now() - dt.timedelta(hours=2))
    _revoke_with_invalidity(pki, citizen, _now() - dt.timedelta(hours=10))
    assert client.submit_transaction("before-theft", honest)["status"] == "received"
    assert _refusal(client, "after-theft", thief) == "card_certificate_invalid"


def test_a_created_at_in_the_future_is_refused_and_not_stored(client, sim) -> None:
    ahead = make_submission(sim, created_at=_now() + dt.timedelta(minutes=30))
    assert _refusal(client, "from-the-future", ahead) == "created_at_in_future"
    # Not stored: the key is free for a later attempt (with a stored refusal this would be
    # idempotency_key_reused).
    assert client.submit_transaction("from-the-future", make_submission(sim))["status"] == "received"


def test_a_kiosk_clock_a_little_ahead_is_tolerated(client, sim) -> None:
    slightly = make_submission(sim, created_at=_now() + dt.timedelta(seconds=60))
    assert client.submit_transaction("skew", slightly)["status"] == "received"


def test_a_created_at_outside_the_envelope_must_match_the_signed_one(client, sim) -> None:
    submission = make_submission(sim)
    submission["created_at"] = (_now() - dt.timedelta(days=1)).isoformat(timespec="seconds")
    assert _refusal(client, "moved", submission) == "envelope_mismatch"
