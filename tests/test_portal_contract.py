"""The simulator and docs/portal-api.yaml agree on every answer, whoever asks.

The in-simulator check (kiosk/portal/simulator/contract.py) validates
every answer of every simulator a test starts; these tests show it can
fail, that the answers the audit found outside the document are now in it,
and that one run through every documented operation is validated.
"""

from __future__ import annotations

import requests
import yaml

from kiosk.portal.simulator import contract
from kiosk.portal.simulator.api import Reply
from tests.portal_fixtures import SPEC_PATH, login_card, make_submission


def test_the_check_in_the_simulator_catches_an_answer_outside_the_document(sim) -> None:
    assert sim._server.contract is not None  # PORTAL_SIM_CONTRACT=1 from tests/portal_fixtures
    sim.api.health = lambda req: Reply(200, {"status": "sleepy"})
    # A session no client-side check is attached to: only the simulator's own check sees it.
    assert requests.get(sim.url + "/v1/health", timeout=5).status_code == 200
    problems = contract.PROBLEMS.take()  # taken here, or the autouse check fails this test
    assert len(problems) == 1 and "GET /v1/health -> 200: answer" in problems[0]


def test_the_check_catches_an_undocumented_status(sim) -> None:
    checker = sim._server.contract
    checker.check("POST", "/v1/auth/password", {"Content-Type": "application/json"}, b"{}",
                  418, {"Content-Type": "application/json"}, b'{"error": {}}')
    assert [p for p in contract.PROBLEMS.take() if "-> 418" in p]


def test_a_body_that_is_not_json_is_a_documented_400(sim, raw) -> None:
    answer = raw.post(sim.url + "/v1/auth/password", data=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_json")


def test_a_heartbeat_to_an_id_outside_the_pattern_is_a_documented_404(sim, raw) -> None:
    answer = raw.post(sim.url + "/v1/kiosks/kiosk%20one/heartbeat", json={"queue_depth": 0})
    assert answer.status_code == 404


def test_a_batch_of_the_wrong_shape_is_422_and_nothing_is_processed(sim, raw) -> None:
    for items in (["not an object"],
                  [{"idempotency_key": 7, "submission": make_submission(sim)}],
                  [{"idempotency_key": "k", "submission": "sealed?"}]):
        answer = raw.post(sim.url + "/v1/transactions/batch", json={"items": items})
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, "invalid_batch")
    assert raw.get(sim.url + "/_sim/transactions").json()["items"] == []


def test_an_incomplete_submission_in_a_batch_is_refused_in_its_own_result(sim, raw) -> None:
    good = make_submission(sim)
    answer = raw.post(sim.url + "/v1/transactions/batch", json={"items": [
        {"idempotency_key": "bad", "submission": {"kiosk_id": "test-kiosk"}},
        {"idempotency_key": "good", "submission": good}]})
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["results"]] == [422, 201]


def _documented_operations() -> set[str]:
    document = yaml.safe_load(SPEC_PATH.read_text())
    return {op["operationId"] for item in document["paths"].values()
            for method, op in item.items() if isinstance(op, dict) and "operationId" in op}


def test_every_documented_operation_is_exercised_and_validated(client, sim, raw, pki) -> None:
    """One pass through the whole document; a new operation fails this until it is added."""
    url, admin = sim.url, {"Authorization": f"Bearer {sim.admin_token}"}
    client.health()
    token = login_card(client, pki.citizen("citizen"))["session_token"]  # challenge + card
    token = client.auth_password("demo", "demo-1234")["session_token"]
    client.profile(token)
    client.update_profile(token, "555123456", "nino@example.ge")
    client.catalog(None)
    bill = client.lookup(token, "utility-bills")["items"][0]
    client.pay(token, "pay-1", "utility-bills", [bill["id"]], bill["amount_gel"], "0.50")
    receipt = client.submit_transaction("one", make_submission(sim))
    client.submit_batch([("two", make_submission(sim))])
    client.transaction_status(receipt["reference"])
    client.citizen_transactions(token)
    client.heartbeat({"queue_depth": 0})
    raw.get(f"{url}/v1/admin/kiosks/test-kiosk", headers=admin)
    raw.put(f"{url}/v1/admin/kiosks/tbs-99", headers=admin,
            json={"public_key": "A" * 43 + "="})
    raw.get(url + "/_sim/faults")
    raw.post(url + "/_sim/faults", json={"mode": "none"})
    raw.get(url + "/_sim/transactions")
    raw.post(f"{url}/_sim/transactions/{receipt['reference']}/answer", json={"answer": "yes"})
    raw.post(url + "/_sim/settings", json={})
    raw.post(url + "/_sim/sessions/expire")
    raw.get(url + "/_sim/heartbeats")
    seen = {op for op, _status in sim._server.contract.seen}
    assert seen == _documented_operations()
    assert not [s for _op, s in sim._server.contract.seen if s >= 400], "all should succeed"
