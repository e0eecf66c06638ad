"""The test PKI's CRL keeps each revocation's own dates.

The portal simulator judges a queued request by the card's state when it was
signed (kiosk/portal/simulator/verify.py), so a CRL that re-dated every entry
on each revocation would quietly turn accepted requests into refused ones.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from kiosk import testpki
from kiosk.portal.simulator.verify import revoked_since
from kiosk.testpki import TestPki


def _entries(pki: TestPki) -> dict[int, x509.RevokedCertificate]:
    return {entry.serial_number: entry for entry in x509.load_pem_x509_crl(pki.crl_path.read_bytes())}


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestPki, list[testpki.Citizen]]:
    # RSA keys take a while to make: issue the citizens once, and give each test a fresh CRL.
    pki = TestPki(tmp_path_factory.mktemp("pki")).ensure()
    citizens = [pki.issue_citizen(f"c{n}", f"0100100000{n}", "ნინო", "ბერიძე") for n in range(3)]
    return pki, citizens


@pytest.fixture
def pki(issued: tuple[TestPki, list[testpki.Citizen]]) -> TestPki:
    issued[0]._write_crl([])
    return issued[0]


def test_an_earlier_revocation_keeps_its_date_when_another_card_is_revoked(
        pki: TestPki, issued, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = issued[1][0], issued[1][1]
    pki.revoke(first)
    dated = _entries(pki)[first.serial].revocation_date_utc
    later = testpki._now() + dt.timedelta(hours=6)
    monkeypatch.setattr(testpki, "_now", lambda: later)
    pki.revoke(second)
    entries = _entries(pki)
    assert entries[first.serial].revocation_date_utc == dated
    expected = (later - dt.timedelta(minutes=1)).replace(microsecond=0)
    assert entries[second.serial].revocation_date_utc == expected


def test_a_given_revocation_date_and_invalidity_date_are_kept(pki: TestPki, issued) -> None:
    stolen, other = issued[1][0], issued[1][1]
    reported = dt.datetime(2026, 3, 6, 9, 30, tzinfo=dt.UTC)
    lost = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)
    pki.revoke(stolen, at=reported, invalid_since=lost)
    pki.revoke(other, at=dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC))
    entry = _entries(pki)[stolen.serial]
    assert entry.revocation_date_utc == reported
    assert entry.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc == lost
    # What the portal simulator reads from it: the earlier of the two.
    assert revoked_since(entry) == lost
    assert revoked_since(_entries(pki)[other.serial]) == dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


def test_a_date_with_another_zone_is_stored_as_the_same_moment(pki: TestPki, issued) -> None:
    tbilisi = dt.timezone(dt.timedelta(hours=4))
    citizen = issued[1][2]
    pki.revoke(citizen, at=dt.datetime(2026, 5, 1, 10, 0, tzinfo=tbilisi))
    assert _entries(pki)[citizen.serial].revocation_date_utc == dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)


def test_revoking_a_card_twice_keeps_its_first_entry(pki: TestPki, issued) -> None:
    citizen = issued[1][0]
    pki.revoke(citizen, at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    pki.revoke(citizen, at=dt.datetime(2026, 2, 10, tzinfo=dt.UTC))
    crl = x509.load_pem_x509_crl(pki.crl_path.read_bytes())
    assert [entry.serial_number for entry in crl] == [citizen.serial]
    assert _entries(pki)[citizen.serial].revocation_date_utc == dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
