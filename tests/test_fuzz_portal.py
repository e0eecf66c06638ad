"""Fuzz: what the citizen portal answers (`kiosk.portal.client`, `offline_queue.forwarder`).

What is fuzzed:

* every `PortalClient` call against a tiny stdlib HTTP server on 127.0.0.1
  (port 0, TCP_NODELAY) that answers hypothesis-made status codes, headers
  (Retry-After garbage, missing or lying Content-Type, gzip that is not) and
  bodies (not JSON, JSON of the wrong shape, huge numbers, nested junk, lone
  surrogates, arrays nested deeper than the decoder goes);
* `parse_retry_after` on any header text (latin-1, as http.client gives it);
* the forwarder's handling of a batch (or single) answer of any shape, over a
  real outbox.

"Handled" means: a client call returns normally or raises a
`kiosk.portal.errors.PortalError` subclass, nothing else; `parse_retry_after`
returns None or a float >= 0; `Forwarder.forward_once` never raises, and every
entry afterwards is delivered (only if its own result said 200/201), dead
(only if its own result said a non-retryable 4xx) or still pending: none is
lost, and a forwarder thread fed junk keeps running.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import example, given
from hypothesis import strategies as st

from kiosk.portal.client import PortalClient, parse_retry_after
from kiosk.portal.errors import PortalConflict, PortalError, PortalRejected, PortalServerError
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox
from tests.fuzz_profiles import fuzz
from tests.queue_support import NoDelayHTTPServer

# ---------------------------------------------------------------- the junk portal


class Answer:
    """What the server says next: status, header lines, body bytes."""

    def __init__(self, status: int = 200, headers: list[tuple[str, str]] | None = None,
                 body: bytes = b"{}") -> None:
        self.status, self.headers, self.body = status, headers or [], body

    def __repr__(self) -> str:
        more = "..." if len(self.body) > 80 else ""
        return f"Answer({self.status}, {self.headers!r}, {self.body[:80]!r}{more})"


class JunkPortal:
    """Answers every request with `self.answer`, byte for byte, then closes."""

    def __init__(self) -> None:
        self.answer = Answer()
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = portal.answer
                head = [f"HTTP/1.1 {answer.status} Junk", f"Content-Length: {len(answer.body)}",
                        "Connection: close"]
                head += [f"{name}: {value}" for name, value in answer.headers]
                self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + answer.body)
                self.close_connection = True

            do_GET = do_POST = do_PATCH = _any

        self.server = NoDelayHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def junk() -> Iterator[tuple[JunkPortal, PortalClient]]:
    portal = JunkPortal()
    client = PortalClient(portal.url, connect_timeout_s=2, read_timeout_s=5, kiosk_id="fuzz")
    yield portal, client
    client.close()
    portal.stop()


# ---------------------------------------------------------------- strategies

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def shaped(fields: dict[str, Any]) -> st.SearchStrategy[Any]:
    """An object with the keys a call expects, each holding junk (or missing)."""
    return st.fixed_dictionaries({}, optional={k: v for k, v in fields.items()})


batch_item = shaped({"idempotency_key": st.text(max_size=4) | json_values, "status": json_values,
                     "body": json_values})
bodies = st.one_of(
    st.binary(max_size=100),
    json_values.map(_dumps),
    shaped({"results": st.lists(batch_item | json_values, max_size=3) | json_values}).map(_dumps),
    shaped({"error": shaped({"code": json_values, "message": json_values}) | json_values}).map(_dumps),
    st.sampled_from([b"1e999", b"-1e999", b"NaN", b"9" * 5000, b'"\\ud800"', b'{"error": "\\udfff"}',
                     b"[" * 100_000, b'{"a":' * 50_000, b"\xff\xfe{}", b"{}" * 3, b""]),
)
retry_after_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
    st.sampled_from(["120", "-5", "9" * 400, "\xb2", "Wed, 21 Oct 2015 07:28:00 GMT",
                     "Fri, 31 Dec 99999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "0x10", " 7 "]),
)
headers = st.lists(st.one_of(
    st.tuples(st.just("Retry-After"), retry_after_values),
    st.tuples(st.just("Content-Type"), st.sampled_from(["application/json", "text/html",
                                                         "application/json; charset=bogus",
                                                         "application/json; charset=utf-16"])),
    st.tuples(st.just("Content-Encoding"), st.sampled_from(["gzip", "deflate", "br", "zstd"])),
    st.tuples(st.just("ETag"), st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF),
                                       max_size=10)),
), max_size=3)
statuses = st.sampled_from([200, 201, 204, 304, 400, 401, 404, 408, 409, 422, 429, 500, 502, 503, 599]) \
    | st.integers(200, 599)
answers = st.builds(Answer, statuses, headers, bodies)

CALLS = {
    "health": lambda c: c.health(),
    "auth_challenge": lambda c: c.auth_challenge(),
    "auth_card": lambda c: c.auth_card("ch", b"\x30\x00", b"sig"),
    "auth_password": lambda c: c.auth_password("user", "secret"),
    "profile": lambda c: c.profile("tok"),
    "update_profile": lambda c: c.update_profile("tok", "+995555000000", "a@b.ge"),
    "catalog": lambda c: c.catalog("etag-1"),
    "lookup": lambda c: c.lookup("tok", "fines"),
    "pay": lambda c: c.pay("tok", "key-1", "fines", ["f1"], "10.00", "0.50"),
    "submit_transaction": lambda c: c.submit_transaction("key-1", {"sealed": "x"}),
    "submit_batch": lambda c: c.submit_batch([("key-1", {"sealed": "x"}), ("key-2", {"sealed": "y"})]),
    "transaction_status": lambda c: c.transaction_status("MG-1"),
    "citizen_transactions": lambda c: c.citizen_transactions("tok"),
    "heartbeat": lambda c: c.heartbeat({"ok": True}),
}


# ---------------------------------------------------------------- the client

@fuzz(300)
@given(st.sampled_from(sorted(CALLS)), answers)
@example("submit_batch", Answer(200, [], b'{"results": [{"status": 201}]}'))
@example("submit_batch", Answer(200, [], b'{"results": {"a": 1}}'))
@example("submit_batch", Answer(200, [], b'[1, 2]'))
@example("submit_batch", Answer(200, [], b'{"results": [{"idempotency_key": "k", "status": "x"}]}'))
@example("submit_batch", Answer(200, [], b'{"results": [{"idempotency_key": "k", "status": 1e999}]}'))
@example("profile", Answer(200, [], b"[" * 100_000))
@example("profile", Answer(500, [], b"[" * 100_000))
@example("submit_transaction", Answer(503, [("Retry-After", "\xb2")], b""))
def test_client_returns_or_raises_portal_error(junk: tuple[JunkPortal, PortalClient], call: str,
                                               answer: Answer) -> None:
    portal, client = junk
    portal.answer = answer
    try:
        result = CALLS[call](client)
    except PortalError as exc:
        assert str(exc)
        if isinstance(exc, PortalServerError) and exc.retry_after_s is not None:
            assert exc.retry_after_s >= 0
        return
    if call == "submit_batch":
        assert isinstance(result, list)
        for item in result:
            assert isinstance(item["idempotency_key"], str) and isinstance(item["status"], int)
            assert isinstance(item["body"], dict)


@fuzz(300)
@given(retry_after_values | st.text(max_size=20) | st.none())
@example("\xb2")
@example("\u0663")
def test_parse_retry_after_gives_none_or_seconds(value: str | None) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)


def test_retry_after_superscript_digit_is_ignored() -> None:
    """'²'.isdigit() is True but float('²') fails: it once raised ValueError out of the client."""
    assert parse_retry_after("\xb2") is None
    assert parse_retry_after(" 120 ") == 120.0


# ---------------------------------------------------------------- the forwarder

class JunkClient:
    """A SubmissionClient whose batch (and single) answers are whatever the test says."""

    def __init__(self, batch: Any, single: Any) -> None:
        self.batch, self.single = batch, single

    def submit_batch(self, items: list[tuple[str, dict[str, Any]]]) -> Any:
        self.last = self.batch(items) if callable(self.batch) else self.batch
        return self.last

    def submit_transaction(self, key: str, submission: dict[str, Any]) -> Any:
        if isinstance(self.single, BaseException):
            raise self.single
        return self.single


def new_outbox(folder: str, entries: int, keep_delivered_days: int = 0) -> Outbox:
    box = Outbox(folder, kiosk_id="fuzz-kiosk", portal_public_key=X25519PrivateKey.generate().public_key(),
                 keep_delivered_days=keep_delivered_days)
    for n in range(entries):
        box.enqueue({"service_id": "letter-to-agency", "personal_number": f"0100101234{n}",
                     "language": "ka", "values": {"subject": f"s{n}", "body": "b"}})
    return box


def statuses_after(box: Outbox) -> dict[str, str]:
    rows = box._conn.execute("SELECT idempotency_key, status FROM entries").fetchall()
    return dict(rows)


item_results = st.one_of(
    json_values,
    st.fixed_dictionaries({"status": json_values | st.sampled_from([200, 201, 409, 422, 503, "201", 1e999]),
                           "body": json_values | shaped({"reference": json_values,
                                                         "error": shaped({"code": json_values,
                                                                          "message": json_values})
                                                         | json_values})},
                          optional={"extra": json_values}),
)


@st.composite
def batch_answers(draw: st.DrawFn) -> Any:
    """A rule that turns the sent keys into an answer: per-key junk, a junk list, or junk."""
    per_key = draw(st.lists(item_results, min_size=3, max_size=3))
    keep = draw(st.lists(st.booleans(), min_size=3, max_size=3))
    extra = draw(st.lists(json_values, max_size=2))
    whole = draw(st.sampled_from(["per_key", "junk"]))
    junk_answer = draw(json_values)

    def answer(items: list[tuple[str, dict[str, Any]]]) -> Any:
        if whole == "junk":
            return junk_answer
        out = []
        for (key, _), result, kept in zip(items, per_key, keep, strict=False):
            if kept:
                out.append({**result, "idempotency_key": key} if isinstance(result, dict) else result)
        return out + extra
    return answer


def _status_of(result: Any) -> int | None:
    if not isinstance(result, dict):
        return None
    try:
        return int(result.get("status"))
    except (TypeError, ValueError, OverflowError):
        return None


@fuzz(30)
@given(batch_answers())
@example(lambda items: [{"idempotency_key": k, "status": "x", "body": []} for k, _ in items])
@example(lambda items: [{"idempotency_key": k, "status": 422, "body": {"error": "no"}} for k, _ in items])
@example(lambda items: [{"idempotency_key": k, "status": 201, "body": "ok"} for k, _ in items])
@example(lambda items: {"results": "x"})
@example(lambda items: [{"idempotency_key": k, "status": 422, "body": {"error": {"code": "\ud800"}}}
                        for k, _ in items])
@example(lambda items: [[k] for k, _ in items])
def test_forwarder_batch_with_junk_answers_loses_nothing(answer: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        box = new_outbox(folder, 3)
        keys = [e.idempotency_key for e in box.entries()]
        client = JunkClient(answer, {})
        Forwarder(box, client).forward_once()  # must not raise
        sent = client.last
        after = statuses_after(box)
        by_key = {r.get("idempotency_key"): r for r in sent if isinstance(r, dict)} \
            if isinstance(sent, list) else {}
        for key in keys:
            status = _status_of(by_key.get(key))
            state = after.get(key, "delivered")  # delivered rows are deleted (keep_delivered_days=0)
            if state == "delivered":
                assert status in (200, 201), f"{key} deleted without a 200/201 for it"
            elif state == "dead":
                assert status is not None and 400 <= status < 500 and status not in (408, 409, 429)
            else:
                assert state == "pending"
        box.close()


@fuzz(25)
@given(json_values | st.sampled_from([PortalServerError(503, None, "x\ud800"),
                                      PortalRejected(422, "\ud800", "bad \udfff")]))
@example({"reference": "\ud800"})
def test_forwarder_single_with_junk_answer_never_raises(single: Any) -> None:
    """A 200/201 whose body is junk is still delivered (the status is the portal's word);
    error texts with lone surrogates once made SQLite refuse the retry record."""
    with tempfile.TemporaryDirectory() as folder:
        box = new_outbox(folder, 1, keep_delivered_days=1)
        key = box.entries()[0].idempotency_key
        Forwarder(box, JunkClient(None, single)).forward_once()
        state = statuses_after(box)[key]
        if isinstance(single, PortalRejected):
            assert state == "dead"
        else:
            assert state == ("pending" if isinstance(single, BaseException) else "delivered")
        box.close()


def test_forwarder_thread_outlives_junk_answers() -> None:
    """A round that raises is caught; the thread keeps going and the entries stay pending."""
    with tempfile.TemporaryDirectory() as folder:
        box = new_outbox(folder, 2)
        calls: list[int] = []

        def broken(items: Any) -> Any:
            calls.append(1)
            raise KeyError("results")  # what submit_batch did on a junk shape before the fix

        forwarder = Forwarder(box, JunkClient(broken, {}), base_delay_s=0.01, max_delay_s=0.02)
        forwarder.start()
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        alive = forwarder._thread is not None and forwarder._thread.is_alive()
        forwarder.stop()
        assert len(calls) >= 3 and alive
        assert set(statuses_after(box).values()) == {"pending"}
        box.close()


def test_a_huge_retry_after_on_409_does_not_park_the_entry_for_years() -> None:
    """Retry-After: 1e12 on a 409 once set next_attempt_at decades ahead (capped only portal-wide)."""
    with tempfile.TemporaryDirectory() as folder:
        box = new_outbox(folder, 1)
        Forwarder(box, JunkClient(None, PortalConflict(1e12)), max_delay_s=1.0).forward_once()
        (due,) = box._conn.execute("SELECT next_attempt_at FROM entries").fetchone()
        assert due <= time.time() + 3601
        box.close()
