"""Which kiosk asked: the portal ties each kiosk_id to one Ed25519 key.

A valid kiosk signature by itself proves only that some key signed; these
tests hold the portal to knowing *whose* key it is (enrolled by an
administrator, or bound on first use) and refusing any other under that id.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.portal.client import PortalClient
from kiosk.portal.errors import PortalRejected
from kiosk.sealing import load_public_key
from offline_queue import kiosk_key
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox
from tests.portal_fixtures import make_submission, sim_get


def _raw_b64(key: ed25519.Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _enrol(sim, raw, kiosk_id: str, public_key_b64: str, token: str | None = None):
    return raw.put(f"{sim.url}/v1/admin/kiosks/{kiosk_id}", json={"public_key": public_key_b64},
                   headers={"Authorization": f"Bearer {token or sim.admin_token}"})


def _refusal(client: PortalClient, key: str, submission: dict) -> str:
    with pytest.raises(PortalRejected) as caught:
        client.submit_transaction(key, submission)
    assert caught.value.status == 422
    return caught.value.code


def _received(sim) -> list[dict]:
    return sim_get(sim, "/_sim/transactions")["items"]


def test_on_first_use_the_first_key_binds_the_kiosk_id(client, sim, raw) -> None:
    own, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    client.submit_transaction("first", make_submission(sim, kiosk_id="tbs-01", kiosk_key=own))
    forged = make_submission(sim, kiosk_id="tbs-01", kiosk_key=other)
    assert _refusal(client, "forged", forged) == "kiosk_key_mismatch"
    # The real kiosk goes on being heard; another id is bound to its own key.
    client.submit_transaction("second", make_submission(sim, kiosk_id="tbs-01", kiosk_key=own))
    client.submit_transaction("elsewhere", make_submission(sim, kiosk_id="tbs-02", kiosk_key=other))
    assert [t["kiosk_id"] for t in _received(sim)] == ["tbs-01", "tbs-01", "tbs-02"]
    record = raw.get(f"{sim.url}/v1/admin/kiosks/tbs-01",
                     headers={"Authorization": f"Bearer {sim.admin_token}"}).json()
    assert (record["public_key"], record["source"]) == (_raw_b64(own), "first_use")


def test_an_enrolled_key_is_accepted_and_another_refused(client, sim, raw) -> None:
    enrolled, stranger = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    answer = _enrol(sim, raw, "tbs-07", _raw_b64(enrolled))
    assert answer.status_code == 200 and answer.json()["source"] == "enrolled"
    # Before the real kiosk has sent anything: first use must not let a stranger in.
    assert _refusal(client, "k1", make_submission(sim, kiosk_id="tbs-07",
                                                  kiosk_key=stranger)) == "kiosk_key_mismatch"
    receipt = client.submit_transaction("k2", make_submission(sim, kiosk_id="tbs-07",
                                                              kiosk_key=enrolled))
    assert [t["reference"] for t in _received(sim)] == [receipt["reference"]]


def test_re_enrolment_replaces_a_key_bound_on_first_use(client, sim, raw) -> None:
    old, new = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    client.submit_transaction("old", make_submission(sim, kiosk_id="tbs-03", kiosk_key=old))
    assert _enrol(sim, raw, "tbs-03", _raw_b64(new)).status_code == 200  # its disk was replaced
    client.submit_transaction("new", make_submission(sim, kiosk_id="tbs-03", kiosk_key=new))
    assert _refusal(client, "stale", make_submission(sim, kiosk_id="tbs-03",
                                                     kiosk_key=old)) == "kiosk_key_mismatch"


def test_where_enrolment_is_required_an_unknown_kiosk_waits_for_it(client, sim, raw) -> None:
    assert raw.post(sim.url + "/_sim/settings",
                    json={"kiosk_enrolment": "required"}).json()["kiosk_enrolment"] == "required"
    key = ed25519.Ed25519PrivateKey.generate()
    submission = make_submission(sim, kiosk_id="tbs-09", kiosk_key=key)
    assert _refusal(client, "early", submission) == "kiosk_not_enrolled"
    _enrol(sim, raw, "tbs-09", _raw_b64(key))
    # The refusal was not stored against the key: the same entry now goes through.
    assert client.submit_transaction("early", submission)["status"] == "received"


def test_enrolment_needs_the_admin_token_and_a_raw_ed25519_key(sim, raw) -> None:
    key = _raw_b64(ed25519.Ed25519PrivateKey.generate())
    refused = _enrol(sim, raw, "tbs-05", key, token="not-the-token")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "admin_unauthorised")
    bad = _enrol(sim, raw, "tbs-05", base64.b64encode(b"short").decode())
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_public_key")
    missing = raw.get(f"{sim.url}/v1/admin/kiosks/tbs-05",
                      headers={"Authorization": f"Bearer {sim.admin_token}"})
    assert missing.status_code == 404
    token_file = Path(sim.store.db.conn.execute("PRAGMA database_list").fetchone()[2]).parent
    assert (token_file / "portal-admin.token").stat().st_mode & 0o077 == 0


def _kiosk(storage: Path, sim, kiosk_id: str) -> tuple[Outbox, Forwarder, PortalClient]:
    box = Outbox(storage, kiosk_id=kiosk_id, portal_public_key=load_public_key(sim.public_key_path))
    portal = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id=kiosk_id)
    return box, Forwarder(box, portal), portal


def test_the_real_kiosk_path_is_heard_under_its_enrolled_key(sim, raw, tmp_path) -> None:
    """The key the outbox makes on first use is the one a technician enrols; a copy of the
    kiosk's id on another machine (another key) gets a dead letter with the reason."""
    raw.post(sim.url + "/_sim/settings", json={"kiosk_enrolment": "required"})
    storage = tmp_path / "kiosk"
    public = kiosk_key.public_key_raw(kiosk_key.load_or_create_signing_key(storage))
    _enrol(sim, raw, "tbs-11", base64.b64encode(public).decode())
    box, forwarder, portal = _kiosk(storage, sim, "tbs-11")
    entry = box.enqueue({"service_id": "civil-extract", "values": {"copies": 1},
                         "personal_number": "01001012345", "language": "ka"})
    assert forwarder.forward_once() == 1
    assert _received(sim)[0]["local_ref"] == entry.local_ref
    impostor, impostor_forwarder, impostor_portal = _kiosk(tmp_path / "copy", sim, "tbs-11")
    copied = impostor.enqueue({"service_id": "civil-extract", "values": {"copies": 1},
                               "personal_number": "01001012345", "language": "ka"})
    assert impostor_forwarder.forward_once() == 0
    dead = impostor.get(copied.local_ref)
    assert dead is not None and (dead.status, dead.last_error_code) == ("dead", "kiosk_key_mismatch")
    assert len(_received(sim)) == 1
    for closing in (portal, impostor_portal, box, impostor):
        closing.close()
