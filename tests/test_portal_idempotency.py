"""Idempotency-Key rules and sealed-envelope checks, through real HTTP.

The promise under test: however often the kiosk repeats a submission,
whatever the network does to the answers, the portal holds it once.
"""

from __future__ import annotations

import threading

import pytest

from kiosk.portal.errors import PortalConflict, PortalOffline, PortalRejected, PortalServerError
from tests.portal_fixtures import make_submission, sim_get


def _received(sim) -> list[dict]:
    return sim_get(sim, "/_sim/transactions")["items"]


def test_a_missing_key_is_400(sim, raw) -> None:
    answer = raw.post(sim.url + "/v1/transactions", json=make_submission(sim))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "idempotency_key_missing"
    assert _received(sim) == []


def test_the_client_refuses_to_send_without_a_key(client, sim) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        client.submit_transaction("", make_submission(sim))


def test_a_replay_returns_the_first_answer_and_stores_nothing_new(client, sim, raw) -> None:
    submission = make_submission(sim)
    first = client.submit_transaction("same-key", submission)
    again = raw.post(sim.url + "/v1/transactions", json=submission,
                     headers={"Idempotency-Key": "same-key"})
    assert again.status_code == 201 and again.json() == first
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(_received(sim)) == 1


def test_a_key_reused_with_another_body_is_422(client, sim) -> None:
    client.submit_transaction("reused", make_submission(sim))
    with pytest.raises(PortalRejected) as caught:
        client.submit_transaction("reused", make_submission(sim))
    assert (caught.value.status, caught.value.code) == (422, "idempotency_key_reused")
    assert len(_received(sim)) == 1


def test_a_key_still_in_progress_is_409(client, sim) -> None:
    sim.set_fault("slow", delay_s=0.8, count=1)  # the first request holds its claim 0.8 s
    submission = make_submission(sim)
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(
        client.submit_transaction("busy", submission)))
    worker.start()
    while sim._server.faults.hits == 0:
        threading.Event().wait(0.01)
    threading.Event().wait(0.1)
    second = type(client)(sim.url, kiosk_id="test-kiosk")
    with pytest.raises(PortalConflict) as caught:
        second.submit_transaction("busy", submission)
    assert caught.value.retry_after_s == 1
    worker.join()
    assert first["status"] == "received"
    assert second.submit_transaction("busy", submission) == first
    second.close()


def test_concurrent_requests_with_one_key_make_one_transaction(sim) -> None:
    from kiosk.portal.client import PortalClient

    submission = make_submission(sim)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def send() -> None:
        portal = PortalClient(sim.url, kiosk_id="test-kiosk")
        start.wait()
        try:
            outcome = portal.submit_transaction("race", submission)["reference"]
        except PortalConflict:
            outcome = "409"
        with lock:
            outcomes.append(outcome)
        portal.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    references = {o for o in outcomes if o != "409"}
    assert len(references) == 1 and len(outcomes) == 8
    assert len(_received(sim)) == 1


def test_a_lost_answer_and_the_retry_leave_exactly_one_transaction(client, sim) -> None:
    """Processed, answer lost: more drops than the client's own retries, so it gives up."""
    submission = make_submission(sim)
    sim.set_fault("drop_after_process", count=3)
    with pytest.raises(PortalOffline):
        client.submit_transaction("lost", submission)
    assert len(_received(sim)) == 1  # the portal did store it
    receipt = client.submit_transaction("lost", submission)  # the forwarder's later retry
    assert receipt["reference"] == _received(sim)[0]["reference"]
    assert len(_received(sim)) == 1


def test_the_client_retries_a_keyed_post_over_one_lost_answer(client, sim) -> None:
    sim.set_fault("drop_after_process", count=1)
    receipt = client.submit_transaction("retried", make_submission(sim))
    assert [t["reference"] for t in _received(sim)] == [receipt["reference"]]


def test_a_payment_repeated_after_a_lost_answer_is_charged_once(client, sim) -> None:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    bill = client.lookup(token, "utility-bills")["items"][0]
    sim.set_fault("drop_after_process", count=3)
    with pytest.raises(PortalOffline):
        client.pay(token, "pay-lost", "utility-bills", [bill["id"]], bill["amount_gel"], "0.50")
    answer = client.pay(token, "pay-lost", "utility-bills", [bill["id"]], bill["amount_gel"],
                        "0.50")
    assert answer["status"] == "approved"
    assert bill["id"] not in [i["id"] for i in client.lookup(token, "utility-bills")["items"]]
    count = sim.store.db.execute("SELECT count(*) FROM payments").fetchone()[0]
    assert count == 1


def test_a_batch_follows_the_single_rules_item_by_item(client, sim) -> None:
    done, fresh = make_submission(sim), make_submission(sim)
    first = client.submit_transaction("b-done", done)
    results = client.submit_batch([
        ("b-done", done),                    # replay -> the first answer
        ("b-new", fresh),                    # new -> 201
        ("b-done", fresh),                   # key reused with another body -> 422
        ("b-bad", make_submission(sim, tamper="digest")),  # envelope fails -> 422
    ])
    assert [r["status"] for r in results] == [201, 201, 422, 422]
    assert results[0]["body"] == first
    assert results[2]["body"]["error"]["code"] == "idempotency_key_reused"
    assert results[3]["body"]["error"]["code"] == "digest_mismatch"
    assert len(_received(sim)) == 2


def test_a_batch_item_without_a_key_is_400_in_its_result(sim, raw) -> None:
    body = {"items": [{"idempotency_key": "", "submission": make_submission(sim)}]}
    answer = raw.post(sim.url + "/v1/transactions/batch", json=body)
    assert answer.status_code == 200
    assert answer.json()["results"][0]["status"] == 400


def test_a_card_signed_submission_is_accepted_and_marked(client, sim, pki) -> None:
    client.submit_transaction("card", make_submission(sim, citizen=pki.citizen("citizen")))
    assert _received(sim)[0]["card_signed"] is True


@pytest.mark.parametrize(("tamper", "code"), [
    ("digest", "digest_mismatch"),
    ("kiosk", "kiosk_signature_invalid"),
    ("card", "card_signature_invalid"),
    ("wrong_key", "sealed_unreadable"),
    ("garbage", "sealed_unreadable"),
    ("mismatch", "envelope_mismatch"),
])
def test_an_envelope_that_fails_is_422_with_its_reason(client, sim, pki, tamper, code) -> None:
    submission = make_submission(sim, citizen=pki.citizen("citizen"), tamper=tamper)
    with pytest.raises(PortalRejected) as caught:
        client.submit_transaction("t-" + tamper, submission)
    assert (caught.value.status, caught.value.code) == (422, code)
    with pytest.raises(PortalRejected):  # the rejection is replayed, not re-judged
        client.submit_transaction("t-" + tamper, submission)
    assert _received(sim) == []


def test_a_revoked_card_cannot_sign_a_submission(client, sim, pki) -> None:
    submission = make_submission(sim, citizen=pki.citizen("revoked"))
    with pytest.raises(PortalRejected) as caught:
        client.submit_transaction("revoked", submission)
    assert caught.value.code == "card_certificate_invalid"


def _bill(client) -> tuple[str, dict]:
    token = client.auth_password("demo", "demo-1234")["session_token"]
    return token, client.lookup(token, "utility-bills")["items"][0]


def _payments(sim) -> int:
    return sim.store.db.execute("SELECT count(*) FROM payments").fetchone()[0]


def test_a_payment_without_a_key_is_400_and_charges_nothing(client, sim, raw) -> None:
    token, bill = _bill(client)
    answer = raw.post(sim.url + "/v1/payments", headers={"Authorization": f"Bearer {token}"},
                      json={"kind": "utility-bills", "item_ids": [bill["id"]],
                            "amount_gel": bill["amount_gel"], "fee_gel": "0.50"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "idempotency_key_missing")
    assert _payments(sim) == 0


def test_a_payment_key_still_in_progress_is_409(client, sim) -> None:
    token, bill = _bill(client)
    args = (token, "pay-busy", "utility-bills", [bill["id"]], bill["amount_gel"], "0.50")
    sim.set_fault("slow", delay_s=0.8, count=1)  # the first payment holds its claim 0.8 s
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(client.pay(*args)))
    worker.start()
    while sim._server.faults.hits == 0:
        threading.Event().wait(0.01)
    threading.Event().wait(0.1)
    second = type(client)(sim.url, kiosk_id="test-kiosk")
    with pytest.raises(PortalConflict) as caught:
        second.pay(*args)
    assert caught.value.retry_after_s == 1
    worker.join()
    assert first["status"] == "approved"
    assert second.pay(*args) == first  # once done, the same request gets the first answer
    second.close()
    assert _payments(sim) == 1


def test_a_payment_key_reused_with_another_body_is_422(client, sim) -> None:
    token, bill = _bill(client)
    client.pay(token, "pay-reused", "utility-bills", [bill["id"]], bill["amount_gel"], "0.50")
    with pytest.raises(PortalRejected) as caught:
        client.pay(token, "pay-reused", "utility-bills", [bill["id"]], bill["amount_gel"], "1.00")
    assert (caught.value.status, caught.value.code) == (422, "idempotency_key_reused")
    assert _payments(sim) == 1


def test_a_batch_that_fails_halfway_keeps_nothing_and_its_resend_holds_each_once(
        client, sim, monkeypatch) -> None:
    """A batch commits once (kiosk/portal/simulator/store.py `batch`): a failure inside it
    rolls back the items before it too, claims included, so the kiosk's resend is not
    answered 409 'in progress' for them, and every item is held exactly once."""
    items = [(f"half-{i}", make_submission(sim)) for i in range(3)]
    record = sim.store.add_transaction
    calls = []

    def fail_second(row):
        calls.append(row["idempotency_key"])
        if len(calls) == 2:
            raise OSError("disk gone")
        record(row)

    monkeypatch.setattr(sim.store, "add_transaction", fail_second)
    with pytest.raises(PortalServerError):
        client.submit_batch(items)
    assert _received(sim) == []
    monkeypatch.setattr(sim.store, "add_transaction", record)
    assert [r["status"] for r in client.submit_batch(items)] == [201, 201, 201]
    assert sorted(r["idempotency_key"] for r in _received(sim)) == [key for key, _ in items]
