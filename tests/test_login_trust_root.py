"""Offline trust counts the root's own validity, not only the card's and the CA's.

kiosk/testpki.py makes a root that outlives its CA, so these chains are built
here: a root whose dates exclude today, over a CA and a card that are valid.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from kiosk.trust import TrustStore, Verdict

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "GE"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, issuer: str, key, signer, start, end, *, ca: bool):  # type: ignore[no-untyped-def]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject)).issuer_name(_name(issuer))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(signer, hashes.SHA256())


def chain(root_start: dt.datetime, root_end: dt.datetime):  # type: ignore[no-untyped-def]
    """(store, card DER) with the root valid from root_start to root_end; CA and card valid now."""
    root_key, ca_key, card_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                                  for _ in range(3))
    root = _cert("GEO Root CA", "GEO Root CA", root_key, root_key, root_start, root_end, ca=True)
    ca = _cert("GEO Authentication CA", "GEO Root CA", ca_key, root_key, NOW - 30 * DAY,
               NOW + 300 * DAY, ca=True)
    card = _cert("a citizen", "GEO Authentication CA", card_key, ca_key, NOW - 10 * DAY,
                 NOW + 100 * DAY, ca=False)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject).last_update(NOW - DAY).next_update(NOW + 7 * DAY)
        .sign(ca_key, hashes.SHA256())
    )
    return TrustStore([root, ca], [crl]), card.public_bytes(Encoding.DER)


def test_a_root_valid_today_lets_the_card_in():
    store, card = chain(NOW - 400 * DAY, NOW + 400 * DAY)
    assert store.check(card).verdict is Verdict.OK


@pytest.mark.parametrize(
    ("start", "end", "verdict"),
    [(NOW - 4000 * DAY, NOW - DAY, Verdict.EXPIRED),
     (NOW + DAY, NOW + 4000 * DAY, Verdict.NOT_YET_VALID)],
)
def test_a_root_outside_its_dates_vouches_for_nothing(start, end, verdict):
    store, card = chain(start, end)
    result = store.check(card)
    assert result.verdict is verdict
    assert "GEO Root CA" in result.detail
