"""Offline trust in an eID certificate: chain to the configured root, validity, cached CRL.

When the portal cannot be reached the kiosk still lets a citizen in, but only
to queue work (the portal re-checks everything when it forwards). The kiosk
must then decide alone that the card is a Georgian eID card that is valid
today and not revoked, from files a technician configured:
``reader.trusted_root`` (PEM: GEO Root CA and GEO Authentication CA) and
``reader.crl`` (the Authentication CA's last CRL, refreshed while online).

The chain is checked by hand (issuer name, signature, CA flag, validity of
each link) rather than with a web-PKI verifier, whose server-oriented rules
(SAN requirements and the like) do not fit citizen authentication
certificates. A CRL that is a little overdue is accepted (an offline kiosk
cannot fetch a new one) but one overdue by more than `MAX_CRL_OVERDUE` is
not: a kiosk offline for weeks must not keep honouring a revoked card.
"""

from __future__ import annotations

import datetime as dt
import enum
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

MAX_CRL_OVERDUE = dt.timedelta(days=7)
# Some issuers write the personal number as "PNOGE-01001012345" (ETSI EN 319 412-1).
_PERSONAL_NUMBER_PREFIXES = ("PNOGE-", "IDCGE-")


class Verdict(enum.StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    UNKNOWN_ISSUER = "unknown_issuer"
    REVOCATION_UNKNOWN = "revocation_unknown"  # no CRL for the issuer, or far overdue
    BAD_CERTIFICATE = "bad_certificate"


@dataclass(frozen=True)
class TrustResult:
    verdict: Verdict
    detail: str = ""
    crl_overdue: bool = False

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


class TrustError(ValueError):
    """The trust files cannot be used (missing, unreadable, not certificates)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _issued_by(child: x509.Certificate | x509.CertificateRevocationList,
               issuer: x509.Certificate) -> bool:
    if child.issuer != issuer.subject:
        return False
    if isinstance(child, x509.CertificateRevocationList):
        return child.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):  # ValueError: extensions that do not parse
        return False


class TrustStore:
    """The roots, intermediate CAs and CRLs an offline kiosk trusts."""

    def __init__(
        self,
        certificates: list[x509.Certificate],
        crls: list[x509.CertificateRevocationList] | None = None,
        *,
        max_crl_overdue: dt.timedelta = MAX_CRL_OVERDUE,
    ) -> None:
        self.roots = [c for c in certificates if c.issuer == c.subject and _issued_by(c, c)]
        # Only intermediates that chain to a configured root are usable issuers.
        self.issuers = [
            c for c in certificates
            if c not in self.roots and _is_ca(c) and any(_issued_by(c, r) for r in self.roots)
        ]
        self.crls = crls or []
        self.max_crl_overdue = max_crl_overdue

    @classmethod
    def from_files(cls, trusted_root: str | Path, crl: str | Path | None = None) -> TrustStore:
        try:
            certificates = x509.load_pem_x509_certificates(Path(trusted_root).read_bytes())
        except (OSError, ValueError) as exc:
            raise TrustError(f"reader.trusted_root {trusted_root}: {exc}") from exc
        crls: list[x509.CertificateRevocationList] = []
        if crl:
            try:
                data = Path(crl).read_bytes()
                pem = b"-----BEGIN" in data
                loaded = x509.load_pem_x509_crl(data) if pem else x509.load_der_x509_crl(data)
                # cryptography parses names, dates and entries only when first read: read
                # them now, so a damaged file is refused here and not in the middle of a login.
                loaded.issuer.rfc4514_string()
                _ = (loaded.last_update_utc, loaded.next_update_utc, [e.serial_number for e in loaded])
                crls.append(loaded)
            except (OSError, ValueError, TypeError) as exc:
                raise TrustError(f"reader.crl {crl}: {exc}") from exc
        store = cls(certificates, crls)
        if not store.roots:
            raise TrustError(f"reader.trusted_root {trusted_root} holds no self-signed root")
        return store

    def check(self, certificate_der: bytes, now: dt.datetime | None = None) -> TrustResult:
        """Whether a card's authentication certificate may log a citizen in offline."""
        now = now or _now()
        cert = _load_certificate(certificate_der)
        if cert is None:
            return TrustResult(Verdict.BAD_CERTIFICATE, "not a DER certificate")
        issuer = next((ca for ca in self.issuers if _issued_by(cert, ca)), None)
        if issuer is None:
            return TrustResult(Verdict.UNKNOWN_ISSUER, "not issued by a trusted CA")
        # The root's own dates count too: an expired root vouches for nothing, even
        # if the CA it signed claims a longer life. Of two roots with one name (a
        # re-keyed root), the one valid now is the anchor.
        roots = [r for r in self.roots if _issued_by(issuer, r)]
        root = next((r for r in roots if r.not_valid_before_utc <= now <= r.not_valid_after_utc),
                    roots[0])
        for link in (cert, issuer, root):
            if now < link.not_valid_before_utc:
                return TrustResult(Verdict.NOT_YET_VALID, f"{_cn(link)} not valid yet")
            if now > link.not_valid_after_utc:
                return TrustResult(Verdict.EXPIRED, f"{_cn(link)} expired")
        if not _allows_signatures(cert):
            return TrustResult(Verdict.BAD_CERTIFICATE,
                               "key usage does not allow signatures (or does not parse)")
        return self._revocation(cert, issuer, now)

    def validity(self, certificate_der: bytes, now: dt.datetime | None = None) -> TrustResult:
        """Only the validity period and the cached CRL (no chain): a check worth doing
        before a PIN try is spent, online or not."""
        now = now or _now()
        cert = _load_certificate(certificate_der)
        if cert is None:
            return TrustResult(Verdict.BAD_CERTIFICATE, "not a DER certificate")
        if now > cert.not_valid_after_utc:
            return TrustResult(Verdict.EXPIRED, "certificate expired")
        for crl in self.crls:
            if crl.issuer == cert.issuer and any(_issued_by(crl, ca) for ca in self.issuers):
                if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                    return TrustResult(Verdict.REVOKED, "serial number on the cached CRL")
        return TrustResult(Verdict.OK)

    def _revocation(self, cert: x509.Certificate, issuer: x509.Certificate, now: dt.datetime) -> TrustResult:
        crl = next((c for c in self.crls if _issued_by(c, issuer)), None)
        if crl is None:
            return TrustResult(Verdict.REVOCATION_UNKNOWN, "no valid CRL from the issuing CA")
        next_update = crl.next_update_utc
        overdue = next_update is not None and now > next_update
        if next_update is not None and now > next_update + self.max_crl_overdue:
            return TrustResult(Verdict.REVOCATION_UNKNOWN, "cached CRL is too old", crl_overdue=True)
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
            return TrustResult(Verdict.REVOKED, "serial number on the CRL", crl_overdue=overdue)
        return TrustResult(Verdict.OK, crl_overdue=overdue)


def _load_certificate(der: bytes) -> x509.Certificate | None:
    """The certificate, or None; the fields the checks read are parsed here.

    cryptography parses names, serial and validity lazily: a damaged byte
    inside the issuer name would otherwise raise ValueError in the middle of
    a check instead of coming back as a bad certificate. A serial number of
    zero or below is forbidden by RFC 5280 and cannot be looked up in a CRL
    (cryptography raises ValueError there), so it is a bad certificate too.
    """
    try:
        with warnings.catch_warnings():
            # The deprecation warning for a non-positive serial says what the
            # check below says, in the log of every later test run.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = x509.load_der_x509_certificate(der)
            _ = (cert.issuer, cert.subject, cert.not_valid_before_utc, cert.not_valid_after_utc)
            serial = cert.serial_number
    except (ValueError, TypeError, x509.InvalidVersion):  # TypeError: a name attribute turned
        return None                                        # into a BIT STRING; a version not 1-3
    return cert if serial > 0 else None


def _cn(cert: x509.Certificate) -> str:
    # Only CA names are ever put in a detail; a citizen's CN is personal data.
    if not _is_ca(cert):
        return "certificate"
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else "CA certificate"  # a CA without a CN: say so


def _allows_signatures(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature)
    except x509.ExtensionNotFound:
        return True
    except ValueError:  # extensions that do not parse: refuse rather than guess
        return False


def verify_card_signature(certificate_der: bytes, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the card's RSA PKCS#1 v1.5 / SHA-256 signature over ``data``."""
    try:
        with warnings.catch_warnings():  # a non-positive serial: the trust check refused it already
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            key = x509.load_der_x509_certificate(certificate_der).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature, UnsupportedAlgorithm, x509.InvalidVersion):
        return False  # not DER, a key type cryptography cannot load, a version it does not know
    return True


def citizen_from_certificate(certificate_der: bytes) -> dict[str, Any]:
    """The citizen named by an authentication certificate (offline sessions only know this)."""
    subject = x509.load_der_x509_certificate(certificate_der).subject

    def first(oid: x509.ObjectIdentifier) -> str:
        values = subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    number = first(NameOID.SERIAL_NUMBER)
    for prefix in _PERSONAL_NUMBER_PREFIXES:
        number = number.removeprefix(prefix)
    return {
        "personal_number": number,
        "given_name": first(NameOID.GIVEN_NAME),
        "surname": first(NameOID.SURNAME),
    }
