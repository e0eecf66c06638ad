"""The portal's endpoints, free of HTTP plumbing: a request in, a reply out.

Kept apart from `server.py` so the rules (who may call what, idempotency,
what a decline looks like) read as a list of functions, one per operation
in docs/portal-api.yaml.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.portal.simulator import seed
from kiosk.portal.simulator.store import Store, check_password, iso
from kiosk.portal.simulator.verify import CardVerifier, Rejected, canonical

MOBILE = re.compile(r"^(\+995)?5\d{8}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MONEY = re.compile(r"^\d{1,7}\.\d{2}$")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # the "slow" fault: spent where the portal does its work


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body already serialised (the catalog, for its ETag)
    final: bool = True  # False: not stored against an idempotency key (see Rejected.final)


def error(status: int, code: str, message: str, **headers: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}}, dict(headers))


@dataclass
class Settings:
    """Knobs tests turn through POST /_sim/settings."""

    letter_answer_delay_s: float = 5.0
    payment_limit_gel: Decimal = seed.DEFAULT_PAYMENT_LIMIT_GEL
    session_ttl_s: float = 900.0
    challenge_ttl_s: float = 60.0


class SessionMissing(Exception):
    pass


class PortalApi:
    """The operations of docs/portal-api.yaml over a `Store`."""

    def __init__(self, store: Store, cards: CardVerifier, opener: Callable[[str], Any],
                 catalog: dict[str, Any]) -> None:
        self.store = store
        self.cards = cards
        self.open_envelope = opener  # sealed b64 -> OpenedEnvelope, raises Rejected
        self.settings = Settings()
        self.heartbeats: list[dict[str, Any]] = []
        self.set_catalog(catalog)

    def set_catalog(self, catalog: dict[str, Any]) -> None:
        self.catalog_bytes = canonical(catalog)
        self.catalog_etag = '"' + hashlib.sha256(self.catalog_bytes).hexdigest()[:32] + '"'
        self.letter_ids = seed.letter_service_ids(catalog)
        self._catalog_services = [s for s in catalog.get("services", []) if isinstance(s, dict)]

    # -- helpers --------------------------------------------------------------------
    def _citizen_of(self, req: Request) -> str:
        auth = req.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        number = self.store.session_citizen(token) if token else None
        if not number:
            raise SessionMissing
        return number

    def _login(self, personal_number: str) -> Reply:
        citizen = self.store.citizen(personal_number)
        assert citizen is not None
        session = self.store.new_session(personal_number, self.settings.session_ttl_s)
        return Reply(200, {"session_token": session["token"],
                           "expires_at": iso(session["expires_at"]), "citizen": citizen,
                           "first_login": not (citizen["mobile"] and citizen["email"])})

    # -- health, auth, profile ------------------------------------------------------
    def health(self, req: Request) -> Reply:
        time.sleep(req.delay_s)
        return Reply(200, {"status": "ok", "time": iso(time.time())})

    def challenge(self, req: Request) -> Reply:
        kiosk_id = (req.json or {}).get("kiosk_id") if isinstance(req.json, dict) else None
        if not isinstance(kiosk_id, str) or not kiosk_id:
            return error(422, "invalid_request", "kiosk_id is required")
        time.sleep(req.delay_s)
        row = self.store.new_challenge(kiosk_id, self.settings.challenge_ttl_s)
        return Reply(200, {"challenge_id": row["id"], "challenge": row["challenge"],
                           "expires_at": iso(row["expires_at"])})

    def auth_card(self, req: Request) -> Reply:
        body = req.json if isinstance(req.json, dict) else {}
        if body.get("algorithm", "RSA-PKCS1v15-SHA256") != "RSA-PKCS1v15-SHA256":
            return error(422, "unsupported_algorithm", "only RSA-PKCS1v15-SHA256 is accepted")
        try:
            der = base64.b64decode(str(body.get("certificate", "")), validate=True)
            signature = base64.b64decode(str(body.get("signature", "")), validate=True)
        except ValueError:
            return error(422, "invalid_request", "certificate and signature must be base64")
        time.sleep(req.delay_s)
        try:
            cert = self.cards.certificate(der)
            challenge = self.store.take_challenge(str(body.get("challenge_id", "")))
            if challenge is None or challenge["expires_at"] < time.time():
                raise Rejected("challenge_expired", "unknown, used or expired challenge")
            self.cards.check_signature(cert, base64.b64decode(challenge["challenge"]), signature)
        except Rejected as exc:
            return error(401, exc.code, exc.message)
        holder = self.cards.holder(cert)
        self.store.ensure_citizen(holder.personal_number, holder.given_name, holder.surname)
        return self._login(holder.personal_number)

    def auth_password(self, req: Request) -> Reply:
        body = req.json if isinstance(req.json, dict) else {}
        user = self.store.user(str(body.get("username", "")))
        time.sleep(req.delay_s)
        if user is None or not check_password(str(body.get("password", "")),
                                              user["password_hash"]):
            return error(401, "bad_credentials", "wrong username or password")
        known = seed.SEEDED_CITIZENS.get(user["personal_number"], {})
        self.store.ensure_citizen(user["personal_number"], known.get("given_name", ""),
                                  known.get("surname", ""))
        return self._login(user["personal_number"])

    def profile(self, req: Request) -> Reply:
        time.sleep(req.delay_s)
        return Reply(200, self.store.citizen(self._citizen_of(req)))

    def update_profile(self, req: Request) -> Reply:
        number = self._citizen_of(req)
        body = req.json if isinstance(req.json, dict) else {}
        mobile = str(body.get("mobile", "")).replace(" ", "")
        email = str(body.get("email", "")).strip()
        if not MOBILE.match(mobile):
            return error(422, "invalid_mobile", "a Georgian mobile number: 5XX XXX XXX")
        if not EMAIL.match(email) or len(email) > 254:
            return error(422, "invalid_email", "an e-mail address like name@example.ge")
        time.sleep(req.delay_s)
        self.store.update_contacts(number, mobile, email)
        return Reply(200, self.store.citizen(number))

    # -- catalog and lookups --------------------------------------------------------
    def catalog(self, req: Request) -> Reply:
        time.sleep(req.delay_s)
        headers = {"ETag": self.catalog_etag, "Cache-Control": "no-cache"}
        wanted = [tag.strip() for tag in req.headers.get("if-none-match", "").split(",")]
        if self.catalog_etag in wanted or "*" in wanted:
            return Reply(304, None, headers)
        return Reply(200, None, headers, raw=self.catalog_bytes)

    def lookup(self, req: Request) -> Reply:
        number = self._citizen_of(req)
        kind = req.params["kind"]
        if kind not in seed.LOOKUP_KINDS:
            return error(404, "not_found", f"no lookup named {kind}")
        time.sleep(req.delay_s)
        return Reply(200, {"items": self.store.unpaid_items(number, kind)})

    # -- payments -------------------------------------------------------------------
    def pay(self, req: Request) -> Reply:
        number = self._citizen_of(req)
        key = req.headers.get("idempotency-key", "")
        if not key:
            return error(400, "idempotency_key_missing", "the Idempotency-Key header is required")
        body = req.json if isinstance(req.json, dict) else {}
        ids = body.get("item_ids")
        if (body.get("kind") not in seed.LOOKUP_KINDS or not isinstance(ids, list) or not ids
                or not all(isinstance(i, str) for i in ids)
                or not all(MONEY.match(str(body.get(k, ""))) for k in ("amount_gel", "fee_gel"))):
            return error(422, "invalid_payment", "kind, item_ids, amount_gel and fee_gel needed")
        return self._keyed("payments", key, {"citizen": number, "body": body},
                           lambda: self._process_payment(number, body, req.delay_s))

    def _process_payment(self, number: str, body: dict[str, Any], delay_s: float) -> Reply:
        time.sleep(delay_s)
        ids: list[str] = body["item_ids"]
        rows = self.store.items_by_id(number, ids)
        if len(rows) != len(set(ids)) or any(r["kind"] != body["kind"] for r in rows):
            return error(422, "unknown_item", "an item is not this citizen's or not of this kind")
        if any(r["paid_reference"] for r in rows):
            return error(422, "already_paid", "an item has been paid already")
        due = sum((Decimal(json.loads(r["data"])["amount_gel"]) for r in rows), Decimal("0"))
        try:
            amount = Decimal(body["amount_gel"])
        except InvalidOperation:
            return error(422, "invalid_payment", "amount_gel is not a number")
        if amount != due:
            return error(422, "amount_mismatch", f"the items come to {due:.2f} GEL")
        reference = "PAY-" + hashlib.sha256(str(time.time_ns()).encode() + number.encode()
                                            ).hexdigest()[:12].upper()
        approved = amount <= self.settings.payment_limit_gel
        payment = {"reference": reference, "personal_number": number, "kind": body["kind"],
                   "item_ids": ",".join(ids), "amount_gel": body["amount_gel"],
                   "fee_gel": body["fee_gel"], "status": "approved" if approved else "declined",
                   "reason": None if approved else "limit_exceeded", "created_at": time.time()}
        self.store.record_payment(payment, ids if approved else [])
        return Reply(200, {"status": payment["status"], "reference": reference,
                           "reason": payment["reason"], "amount_gel": body["amount_gel"],
                           "fee_gel": body["fee_gel"], "paid_at": iso(payment["created_at"])})

    # -- idempotency ----------------------------------------------------------------
    def _keyed(self, scope: str, key: str, payload: Any, work: Callable[[], Reply]) -> Reply:
        """Run ``work`` once per key; replay its answer; 409 while busy; 422 on another payload."""
        claim = self.store.claim(scope, key, hashlib.sha256(canonical(payload)).hexdigest())
        if claim.state == "mismatch":
            return error(422, "idempotency_key_reused",
                         "this Idempotency-Key was used with another request body")
        if claim.state == "in_progress":
            return error(409, "in_progress", "a request with this key is being processed",
                         **{"Retry-After": "1"})
        if claim.state == "done":
            return Reply(claim.status, claim.body, {"Idempotent-Replayed": "true"})
        try:
            reply = work()
        except BaseException:
            self.store.release(scope, key)
            raise
        if not reply.final:
            self.store.release(scope, key)
            return reply
        self.store.finish(scope, key, reply.status, reply.body or {})
        return reply

    # -- transactions ---------------------------------------------------------------
    SUBMISSION_FIELDS = ("kiosk_id", "service_id", "local_ref", "created_at", "sealed")

    def _submit_one(self, key: str, submission: Any, delay_s: float) -> Reply:
        if not key:
            return error(400, "idempotency_key_missing", "the Idempotency-Key header is required")
        if not isinstance(submission, dict) or not all(
                isinstance(submission.get(f), str) and submission.get(f)
                for f in self.SUBMISSION_FIELDS):
            return error(422, "invalid_submission",
                         "kiosk_id, service_id, local_ref, created_at and sealed are required")
        return self._keyed("transactions", key, submission,
                           lambda: self._process_submission(key, submission, delay_s))

    def _process_submission(self, key: str, submission: dict[str, Any], delay_s: float) -> Reply:
        if delay_s > 0:  # sleep(0) still hands the GIL away: a sixth of a drain's time
            time.sleep(delay_s)
        try:
            opened = self.open_envelope(submission["sealed"])
        except Rejected as exc:
            refused = error(422, exc.code, exc.message)
            refused.final = exc.final
            return refused
        request = opened.request
        if any(request.get(f) != submission[f]
               for f in ("kiosk_id", "service_id", "local_ref", "created_at")):
            return error(422, "envelope_mismatch",
                         "kiosk_id, service_id, local_ref or created_at differ inside the envelope")
        now = time.time()
        reference = f"MG-{time.strftime('%Y%m%d', time.gmtime(now))}-" + hashlib.sha256(
            key.encode() + str(time.time_ns()).encode()).hexdigest()[:8].upper()
        self.store.add_transaction({
            "reference": reference, "idempotency_key": key, "kiosk_id": submission["kiosk_id"],
            "service_id": submission["service_id"], "local_ref": submission["local_ref"],
            "personal_number": request["personal_number"], "received_at": now,
            "is_letter": int(submission["service_id"] in self.letter_ids), "answer": None,
            "answered_at": None, "request": json.dumps(request, ensure_ascii=False),
            "card_signed": int(opened.card_signed)})
        return Reply(201, {"reference": reference, "status": "received", "received_at": iso(now)})

    def submit(self, req: Request) -> Reply:
        return self._submit_one(req.headers.get("idempotency-key", ""), req.json, req.delay_s)

    def submit_batch(self, req: Request) -> Reply:
        items = req.json.get("items") if isinstance(req.json, dict) else None
        if not isinstance(items, list) or not items or len(items) > 100:
            return error(422, "invalid_batch", "items must hold 1 to 100 submissions")
        # A wrong shape is the sender's bug and refuses the whole batch; a
        # wrong submission is one entry's problem and is refused in its result.
        if not all(isinstance(item, dict)
                   and isinstance(item.get("idempotency_key", ""), str)
                   and isinstance(item.get("submission", {}), dict) for item in items):
            return error(422, "invalid_batch",
                         "each item is an object with a string idempotency_key and an object")
        results = []
        # One commit for the batch, unless the portal is made slow: its waits
        # must not hold the store, or the health check would stall behind them.
        with nullcontext() if req.delay_s > 0 else self.store.batch():
            for item in items:
                key = item.get("idempotency_key") or ""
                reply = self._submit_one(key, item.get("submission") if key else None, req.delay_s)
                results.append({"idempotency_key": key, "status": reply.status, "body": reply.body})
        return Reply(200, {"results": results})

    def _status_of(self, row: dict[str, Any]) -> dict[str, Any]:
        answer = row["answer"]
        status = "received"
        if row["is_letter"]:
            status = "in_progress"
            due = row["received_at"] + self.settings.letter_answer_delay_s
            if answer is None and time.time() >= due:
                answer = (f"თქვენი წერილი ({row['reference']}) განხილულია. "
                          "პასუხი ხელმისაწვდომია პორტალზე.")
                self.store.answer(row["reference"], answer, time.time())
        if answer is not None:
            status = "answered"
        return {"reference": row["reference"], "status": status, "answer": answer,
                "service_id": row["service_id"], "received_at": iso(row["received_at"])}

    def transaction_status(self, req: Request) -> Reply:
        time.sleep(req.delay_s)
        row = self.store.transaction(req.params["reference"])
        if row is None:
            return error(404, "not_found", "no transaction with this reference")
        return Reply(200, self._status_of(row))

    def citizen_transactions(self, req: Request) -> Reply:
        number = self._citizen_of(req)
        time.sleep(req.delay_s)
        rows = self.store.transactions(number, limit=20)
        return Reply(200, {"items": [self._citizen_item(r) for r in rows]})

    def _citizen_item(self, row: dict[str, Any]) -> dict[str, Any]:
        """The citizen's own view of a letter adds whom it went to, its subject and when it was
        answered (from the opened request: only behind the session, never by reference alone)."""
        item = self._status_of(row)
        if not row["is_letter"]:
            return item
        try:
            values = json.loads(row["request"] or "{}").get("values") or {}
        except (ValueError, AttributeError):
            values = {}
        service = next((s for s in self._catalog_services if s.get("id") == row["service_id"]), {})
        agency = values.get("agency") or service.get("agency")
        if agency:
            item["agency"] = str(agency)
        if isinstance(values.get("subject"), str):
            item["subject"] = values["subject"]
        if item["answer"] is not None:
            answered = row["answered_at"]
            if answered is None:  # answered just now by _status_of
                answered = (self.store.transaction(row["reference"]) or {}).get("answered_at")
            item["answered_at"] = iso(answered if answered is not None else time.time())
        return item

    def heartbeat(self, req: Request) -> Reply:
        if not isinstance(req.json, dict):
            return error(422, "invalid_request", "the heartbeat body is a JSON object")
        time.sleep(req.delay_s)
        self.heartbeats.append({"kiosk_id": req.params["kiosk_id"], "received_at": iso(time.time()),
                                "summary": req.json})
        del self.heartbeats[:-100]
        return Reply(204)
