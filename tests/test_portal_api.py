"""Every endpoint of docs/portal-api.yaml through PortalClient and real HTTP.

Each test's answers are validated against the document by the `contract`
fixture (see test_portal_support.py).
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from kiosk.portal.errors import PortalRejected, SessionExpired
from kiosk.portal.simulator import seed
from tests.portal_fixtures import SPEC_PATH, login_card, make_submission, sim_get


def test_the_api_document_is_valid_openapi_3_1() -> None:
    document, _ = read_from_filename(str(SPEC_PATH))
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any error


def test_every_simulator_route_is_in_the_document() -> None:
    from kiosk.portal.simulator.server import ROUTES

    document, _ = read_from_filename(str(SPEC_PATH))
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    for method, pattern, _name, _params in ROUTES:
        path = pattern.pattern.strip("^$").replace("([A-Za-z0-9_.\\-]+)", "{x}")
        assert any(m == method and _same_shape(p, path) for m, p in documented), (method, path)


def _same_shape(documented: str, route: str) -> bool:
    a, b = documented.split("/"), route.split("/")
    if len(a) != len(b):
        return False
    return all(x == y or (x[:1] == "{" and y == "{x}") for x, y in zip(a, b, strict=True))


def test_health_answers_with_latency(client) -> None:
    started = time.perf_counter()
    latency = client.health()
    # Seconds, measured inside the call: bounded by the call itself, whatever the machine's load.
    assert 0 < latency <= time.perf_counter() - started


def test_card_login_creates_the_citizen_from_the_certificate(client, pki) -> None:
    citizen = pki.issue_citizen("new-card", "12345678901", "ლევან", "გელაშვილი")
    session = login_card(client, citizen)
    assert session["first_login"] is True
    assert session["citizen"] == {"personal_number": "12345678901", "given_name": "ლევან",
                                  "surname": "გელაშვილი", "date_of_birth": None,
                                  "mobile": None, "email": None}
    assert client.profile(session["session_token"])["personal_number"] == "12345678901"


def test_first_login_ends_once_mobile_and_email_are_set(client) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    updated = client.update_profile(token, "555 12 34 56", "nino@example.ge")
    assert (updated["mobile"], updated["email"]) == ("555123456", "nino@example.ge")
    again = client.auth_password("demo", "demo-1234")
    assert again["first_login"] is False
    assert again["citizen"]["date_of_birth"] == "1985-03-14"


@pytest.mark.parametrize(("mobile", "email", "code"), [
    ("12345", "nino@example.ge", "invalid_mobile"),
    ("555123456", "not-an-address", "invalid_email"),
])
def test_bad_contacts_are_rejected_with_a_reason(client, mobile, email, code) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    with pytest.raises(PortalRejected) as caught:
        client.update_profile(token, mobile, email)
    assert (caught.value.status, caught.value.code) == (422, code)


def test_catalog_etag_gives_304_until_the_catalog_changes(client, sim) -> None:
    document, etag = client.catalog(None)
    assert document is not None and etag and {"version", "services"} <= set(document)
    assert client.catalog(etag) == (None, etag)
    sim.set_catalog({"version": "next", "categories": [], "services": []})
    newer, new_etag = client.catalog(etag)
    assert newer == {"version": "next", "categories": [], "services": []}
    assert new_etag != etag


@pytest.mark.parametrize("kind", seed.LOOKUP_KINDS)
def test_lookups_list_the_seeded_unpaid_items(client, kind) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    items = client.lookup(token, kind)["items"]
    expected = [i for i in seed.items_for("01001012345") if i["kind"] == kind]
    assert sorted(i["id"] for i in items) == sorted(i["id"] for i in expected)
    assert all(Decimal(i["amount_gel"]) > 0 for i in items)


def test_an_approved_payment_marks_the_items_paid(client) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    fines = client.lookup(token, "fines")["items"]
    total = sum(Decimal(f["amount_gel"]) for f in fines)
    answer = client.pay(token, "pay-1", "fines", [f["id"] for f in fines], f"{total:.2f}", "1.00")
    assert answer["status"] == "approved" and answer["reference"].startswith("PAY-")
    assert client.lookup(token, "fines")["items"] == []
    with pytest.raises(PortalRejected) as caught:
        client.pay(token, "pay-2", "fines", [fines[0]["id"]], fines[0]["amount_gel"], "0.00")
    assert caught.value.code == "already_paid"


def test_a_payment_above_the_limit_is_declined_and_nothing_is_paid(client) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    debt = client.lookup(token, "tax-debt")["items"]
    assert Decimal(debt[0]["amount_gel"]) > seed.DEFAULT_PAYMENT_LIMIT_GEL  # the seeded case
    answer = client.pay(token, "pay-big", "tax-debt", [debt[0]["id"]], debt[0]["amount_gel"],
                        "0.00")
    assert (answer["status"], answer["reason"]) == ("declined", "limit_exceeded")
    assert client.lookup(token, "tax-debt")["items"] == debt


def test_a_payment_for_the_wrong_amount_is_rejected(client) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    bill = client.lookup(token, "utility-bills")["items"][0]
    with pytest.raises(PortalRejected) as caught:
        client.pay(token, "pay-x", "utility-bills", [bill["id"]], "0.01", "0.00")
    assert caught.value.code == "amount_mismatch"


def test_submission_status_and_the_citizens_transactions(client, sim) -> None:
    receipt = client.submit_transaction("k-1", make_submission(sim, service_id="civil-extract"))
    assert receipt["status"] == "received" and receipt["reference"].startswith("MG-")
    status = client.transaction_status(receipt["reference"])
    assert (status["status"], status["answer"]) == ("received", None)
    token = client.auth_password("demo", "demo-1234")["session_token"]
    mine = client.citizen_transactions(token)["items"]
    assert [t["reference"] for t in mine] == [receipt["reference"]]
    opened = sim_get(sim, "/_sim/transactions")["items"]
    assert opened[0]["request"]["values"] == {"text": "გამარჯობა"}
    assert opened[0]["card_signed"] is False


def test_a_letter_is_answered_after_the_agencys_delay(client, sim, raw) -> None:
    raw.post(sim.url + "/_sim/settings", json={"letter_answer_delay_s": 0.3})
    reference = client.submit_transaction("k-letter", make_submission(sim))["reference"]
    assert client.transaction_status(reference)["status"] == "in_progress"
    time.sleep(0.4)
    status = client.transaction_status(reference)
    assert status["status"] == "answered" and "განხილულია" in status["answer"]


def test_an_admin_call_answers_any_transaction_at_once(client, sim, raw) -> None:
    reference = client.submit_transaction(
        "k-admin", make_submission(sim, service_id="civil-extract"))["reference"]
    answer = raw.post(f"{sim.url}/_sim/transactions/{reference}/answer",
                      json={"answer": "ცნობა მზადაა"})
    assert answer.status_code == 200
    assert client.transaction_status(reference) | {"received_at": ""} == {
        "reference": reference, "status": "answered", "answer": "ცნობა მზადაა",
        "service_id": "civil-extract", "received_at": ""}


def test_an_unknown_reference_is_not_found(client) -> None:
    with pytest.raises(PortalRejected) as caught:
        client.transaction_status("MG-NOPE")
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_heartbeats_reach_the_portal(client, sim) -> None:
    client.heartbeat({"queue_depth": 3, "printer": "ready"})
    beats = sim_get(sim, "/_sim/heartbeats")["items"]
    assert beats[-1]["kiosk_id"] == "test-kiosk" and beats[-1]["summary"]["queue_depth"] == 3


def test_an_ended_session_raises_session_expired(client, sim, raw) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    assert raw.post(sim.url + "/_sim/sessions/expire").status_code == 204
    with pytest.raises(SessionExpired):
        client.profile(token)
    with pytest.raises(SessionExpired):
        client.lookup("made-up-token", "fines")


def test_the_contract_check_itself_catches_an_undocumented_answer(sim, raw, contract) -> None:
    raw.get(sim.url + "/v1/no-such-endpoint")
    assert contract.problems, "a 404 from an undocumented path must be flagged"
    contract.problems.clear()


def test_an_envelope_built_by_the_outbox_opens_at_the_portal(client, sim, pki) -> None:
    """The two sides of CONTRACTS.md's envelope, written apart, agree."""
    envelope = pytest.importorskip("offline_queue.envelope")
    import base64

    from cryptography.hazmat.primitives.asymmetric import ed25519, padding
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.serialization import Encoding

    from kiosk.sealing import load_public_key

    citizen = pki.citizen("citizen")
    request = {"service_id": "civil-extract", "values": {"copies": 2},
               "personal_number": citizen.personal_number, "kiosk_id": "test-kiosk",
               # Tbilisi time: the card is judged at this instant, whatever its zone.
               "created_at": dt.datetime.now(dt.timezone(dt.timedelta(hours=4))).isoformat(
                   timespec="seconds"), "local_ref": "L-outbox",
               "language": "ka"}

    def card(data: bytes) -> tuple[bytes, bytes]:
        return (citizen.certificate().public_bytes(Encoding.DER),
                citizen.private_key().sign(data, padding.PKCS1v15(), SHA256()))

    plaintext = envelope.build_envelope(request, ed25519.Ed25519PrivateKey.generate(), card)
    sealed = envelope.seal_envelope(plaintext, load_public_key(sim.public_key_path))
    submission = {"kiosk_id": "test-kiosk", "service_id": "civil-extract",
                  "local_ref": "L-outbox", "created_at": request["created_at"],
                  "sealed": base64.b64encode(sealed).decode()}
    assert client.submit_transaction("outbox-1", submission)["status"] == "received"
    received = sim_get(sim, "/_sim/transactions")["items"][0]
    assert received["request"] == request and received["card_signed"] is True
