"""A test PKI shaped like Georgia's: GEO Root CA -> GEO Authentication CA -> citizen.

Real cards carry an RSA-2048 authentication key and a certificate issued by
"GEO Authentication CA" with the personal number, given name and surname in
the subject. The virtual card, the portal simulator and the tests need the
same shape, made fresh by a command (`kiosk test-pki --out DIR`) so that no
private key is ever committed. Nothing here is used by a production kiosk.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_NAME = "GEO Root CA"
AUTH_CA_NAME = "GEO Authentication CA"
CITIZEN_VALIDITY = dt.timedelta(days=913)  # about 2.5 years, as real cards


@dataclass(frozen=True)
class Citizen:
    """One test citizen: whose card it is and where its key and certificate lie."""

    personal_number: str
    given_name: str
    surname: str
    key_path: str
    cert_path: str
    serial: int

    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(Path(self.cert_path).read_bytes())

    def private_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(Path(self.key_path).read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key


# The demo's citizens: a valid card, an expired one and a revoked one.
DEMO_CITIZENS = {
    "citizen": ("01001012345", "ნინო", "ბერიძე", "valid"),
    "expired": ("01001054321", "გიორგი", "მაისურაძე", "expired"),
    "revoked": ("01001067890", "თამარ", "კაპანაძე", "revoked"),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, as CRL entries store it; a naive ``moment`` is taken as UTC already."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Public Service Development Agency"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class TestPki:
    """A directory holding the test CAs, citizens, CRL and a TLS server certificate."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)

    @property
    def root_cert_path(self) -> Path:
        return self.dir / "root-ca.pem"

    @property
    def auth_ca_cert_path(self) -> Path:
        return self.dir / "auth-ca.pem"

    @property
    def crl_path(self) -> Path:
        return self.dir / "auth-ca.crl.pem"

    @property
    def chain_path(self) -> Path:
        """Root and authentication CA in one file: what a verifier trusts."""
        return self.dir / "chain.pem"

    def _load(self, stem: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        cert = x509.load_pem_x509_certificate((self.dir / f"{stem}.pem").read_bytes())
        key = serialization.load_pem_private_key((self.dir / f"{stem}.key").read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cert, key

    def ensure(self) -> TestPki:
        """Create the two CAs and an empty CRL unless they exist already."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.root_cert_path.exists() and self.auth_ca_cert_path.exists():
            return self
        start = _now() - dt.timedelta(days=1)
        root_key = _new_key()
        root = (
            x509.CertificateBuilder()
            .subject_name(_name(ROOT_NAME))
            .issuer_name(_name(ROOT_NAME))
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        ca_key = _new_key()
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name(AUTH_CA_NAME))
            .issuer_name(root.subject)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=3000))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        _write_key(self.dir / "root-ca.key", root_key)
        _write_key(self.dir / "auth-ca.key", ca_key)
        self.root_cert_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        self.auth_ca_cert_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.chain_path.write_bytes(
            root.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
        )
        self._write_crl([])
        return self

    def issue_citizen(
        self,
        name: str,
        personal_number: str,
        given_name: str,
        surname: str,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Citizen:
        """Issue an authentication certificate; ``name`` is the file stem."""
        self.ensure()
        ca, ca_key = self._load("auth-ca")
        key = _new_key()
        start = not_before or (_now() - dt.timedelta(days=1))
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "GE"),
                x509.NameAttribute(NameOID.SURNAME, surname),
                x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, personal_number),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{given_name} {surname}"),
            ]
        )
        serial = x509.random_serial_number()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(not_after or (start + CITIZEN_VALIDITY))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False,
                    crl_sign=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key_path, cert_path = self.dir / f"{name}.key", self.dir / f"{name}.pem"
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        citizen = Citizen(personal_number, given_name, surname, str(key_path), str(cert_path), serial)
        (self.dir / f"{name}.json").write_text(json.dumps(asdict(citizen), ensure_ascii=False))
        return citizen

    def citizen(self, name: str) -> Citizen:
        return Citizen(**json.loads((self.dir / f"{name}.json").read_text()))

    def revoke(
        self,
        citizen: Citizen,
        *,
        at: dt.datetime | None = None,
        invalid_since: dt.datetime | None = None,
    ) -> None:
        """Add ``citizen`` to the CRL, revoked ``at`` (default: a minute ago).

        ``invalid_since`` adds RFC 5280's invalidity date (the key known or
        suspected compromised since then). Entries already on the list keep
        their own dates: the portal judges a queued request by the card's state
        when it was signed, so re-dating old revocations would change verdicts.
        Revoking a card already on the list keeps its first entry.
        """
        entries = self._revoked_entries()
        if any(entry.serial_number == citizen.serial for entry in entries):
            return
        builder = (
            x509.RevokedCertificateBuilder()
            .serial_number(citizen.serial)
            .revocation_date(_utc(at or (_now() - dt.timedelta(minutes=1))))
        )
        if invalid_since is not None:
            builder = builder.add_extension(x509.InvalidityDate(_utc(invalid_since)), critical=False)
        self._write_crl([*entries, builder.build()])

    def _revoked_entries(self) -> list[x509.RevokedCertificate]:
        if not self.crl_path.exists():
            return []
        return list(x509.load_pem_x509_crl(self.crl_path.read_bytes()))

    def _write_crl(self, entries: list[x509.RevokedCertificate]) -> None:
        """A freshly dated CRL holding ``entries`` as they are (dates and extensions kept)."""
        ca, ca_key = self._load("auth-ca")
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=7))
        )
        for entry in entries:
            builder = builder.add_revoked_certificate(entry)
        crl = builder.sign(ca_key, hashes.SHA256())
        self.crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))

    def issue_tls_server(self, hostnames: tuple[str, ...] = ("localhost", "127.0.0.1")) -> tuple[Path, Path]:
        """A TLS server certificate from the root, for the simulator over https."""
        import ipaddress

        self.ensure()
        root, root_key = self._load("root-ca")
        key = _new_key()
        alt_names: list[x509.GeneralName] = []
        for host in hostnames:
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                alt_names.append(x509.DNSName(host))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hostnames[0]))
            .issuer_name(root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - dt.timedelta(days=1))
            .not_valid_after(_now() + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        cert_path, key_path = self.dir / "tls-server.pem", self.dir / "tls-server.key"
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, key_path

    def make_demo(self) -> dict[str, Citizen]:
        """The CAs plus the demo citizens (valid, expired, revoked), made once."""
        self.ensure()
        made: dict[str, Citizen] = {}
        for name, (number, given, surname, kind) in DEMO_CITIZENS.items():
            if (self.dir / f"{name}.json").exists():
                made[name] = self.citizen(name)
                continue
            if kind == "expired":
                start = _now() - CITIZEN_VALIDITY - dt.timedelta(days=30)
                made[name] = self.issue_citizen(name, number, given, surname, not_before=start)
            else:
                made[name] = self.issue_citizen(name, number, given, surname)
            if kind == "revoked":
                self.revoke(made[name])
        return made


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )
