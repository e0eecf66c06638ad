"""Fixtures and helpers shared by the portal tests (registered as a plugin in tests/conftest.py).

The contract check lives here, twice. Every simulator started in a test
process validates its own answers (PORTAL_SIM_CONTRACT=1, set below, see
kiosk/portal/simulator/contract.py), and the autouse fixture
`simulator_contract` fails any test whose traffic got an answer (or, for a
2xx, a request) outside docs/portal-api.yaml, whoever sent it. The
`contract` fixture does the same from the client's side for the sessions
it is attached to, which also covers a simulator started elsewhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from kiosk.portal import simulator
from kiosk.portal.client import PortalClient
from kiosk.portal.simulator import contract as sim_contract
from kiosk.sealing import load_public_key, seal_b64
from kiosk.testpki import Citizen, TestPki

SPEC_PATH = Path(__file__).resolve().parents[1] / "docs" / "portal-api.yaml"
_SPEC: OpenAPI | None = None

# Read by every simulator this process (and its children) starts.
os.environ[sim_contract.ENV] = "1"


@pytest.fixture(autouse=True)
def simulator_contract() -> Iterator[None]:
    """Fail the test if any simulator answered it outside docs/portal-api.yaml."""
    sim_contract.PROBLEMS.take()  # a previous test's stragglers are not this test's
    yield
    problems = sim_contract.PROBLEMS.take()
    assert not problems, "simulator answers outside docs/portal-api.yaml:\n" + "\n".join(problems)


def spec() -> OpenAPI:
    global _SPEC
    if _SPEC is None:
        _SPEC = OpenAPI.from_file_path(str(SPEC_PATH))
    return _SPEC


class ContractCheck:
    """A requests response hook that validates answers against the API document."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked = 0

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = RequestsOpenAPIRequest(response.request)
        where = f"{response.request.method} {request.path} -> {response.status_code}"
        self.checked += 1
        try:
            spec().validate_response(request, RequestsOpenAPIResponse(response))
        except Exception as exc:  # openapi-core raises a family of validation errors
            self.problems.append(f"{where}: answer: {exc!r} {getattr(exc, '__cause__', '')}")
        if 200 <= response.status_code < 300:
            try:
                spec().validate_request(request)
            except Exception as exc:
                self.problems.append(f"{where}: request: {exc!r} {getattr(exc, '__cause__', '')}")

    def attach(self, session: requests.Session) -> requests.Session:
        session.hooks["response"].append(self)
        return session


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    pki = TestPki(tmp_path_factory.mktemp("portal-pki"))
    pki.make_demo()
    pki.issue_tls_server()
    return pki


@pytest.fixture
def contract() -> Any:
    check = ContractCheck()
    yield check
    assert not check.problems, "answers outside docs/portal-api.yaml:\n" + "\n".join(
        check.problems)


@pytest.fixture
def sim(tmp_path: Path, pki: TestPki) -> Any:
    running = simulator.start(tmp_path / "portal.sqlite", pki.dir, tmp_path / "sealing.key")
    yield running
    running.stop()


@pytest.fixture
def client(sim: Any, contract: ContractCheck) -> Any:
    portal = PortalClient(sim.url, connect_timeout_s=2, read_timeout_s=3, kiosk_id="test-kiosk")
    contract.attach(portal.session)
    yield portal
    portal.close()


@pytest.fixture
def raw(sim: Any, contract: ContractCheck) -> Any:
    """A plain session for requests the client would never send (missing keys, bad bodies)."""
    session = contract.attach(requests.Session())
    yield session
    session.close()


def sim_get(sim: Any, path: str) -> Any:
    return requests.get(sim.url + path, timeout=5).json()


def login_card(client: PortalClient, citizen: Citizen) -> dict[str, Any]:
    """What the kiosk does with a card: challenge, card signs it, portal checks."""
    challenge = client.auth_challenge()
    signature = citizen.private_key().sign(
        base64.b64decode(challenge["challenge"]), padding.PKCS1v15(), hashes.SHA256())
    der = citizen.certificate().public_bytes(Encoding.DER)
    return client.auth_card(challenge["challenge_id"], der, signature)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


KIOSK_KEY = ed25519.Ed25519PrivateKey.generate()


def make_submission(sim: Any, *, citizen: Citizen | None = None,
                    service_id: str = "letter-to-agency", personal_number: str = "01001012345",
                    values: dict[str, Any] | None = None, local_ref: str | None = None,
                    tamper: str = "", kiosk_id: str = "test-kiosk",
                    kiosk_key: ed25519.Ed25519PrivateKey = KIOSK_KEY,
                    created_at: dt.datetime | None = None) -> dict[str, Any]:
    """A Submission with a sealed envelope as CONTRACTS.md describes.

    ``tamper`` breaks one thing on purpose: "digest", "kiosk", "card",
    "wrong_key" (sealed to another portal), "garbage", "mismatch".
    """
    local_ref = local_ref or "L-" + secrets.token_hex(4)
    created = (created_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    if citizen is not None:
        personal_number = citizen.personal_number
    request = {"service_id": service_id, "values": values or {"text": "გამარჯობა"},
               "personal_number": personal_number, "kiosk_id": kiosk_id,
               "created_at": created, "local_ref": local_ref, "language": "ka"}
    body = canonical(request)
    card = None
    if citizen is not None:
        signed = body if tamper != "card" else body + b"x"
        card = {"certificate": base64.b64encode(citizen.certificate().public_bytes(Encoding.DER)
                                                ).decode(),
                "signature": base64.b64encode(citizen.private_key().sign(
                    signed, padding.PKCS1v15(), hashes.SHA256())).decode()}
    kiosk_signed = body if tamper != "kiosk" else body + b"x"
    envelope = {
        "request": request,
        "digest": hashlib.sha256(body).hexdigest() if tamper != "digest" else "00" * 32,
        "card": card,
        "kiosk": {"public_key": base64.b64encode(kiosk_key.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)).decode(),
                  "signature": base64.b64encode(kiosk_key.sign(kiosk_signed)).decode()},
    }
    if tamper == "wrong_key":
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        public = X25519PrivateKey.generate().public_key()
    else:
        public = load_public_key(sim.public_key_path)
    sealed = seal_b64(canonical(envelope), public)
    if tamper == "garbage":
        sealed = base64.b64encode(b"not hpke at all").decode()
    return {"kiosk_id": kiosk_id, "service_id": service_id,
            "local_ref": local_ref if tamper != "mismatch" else local_ref + "-other",
            "created_at": created, "sealed": sealed}
