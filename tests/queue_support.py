"""Test helpers for the offline queue: a small portal over real HTTP, and a thin client.

The portal keeps the contract's idempotency rules (docs/CONTRACTS.md):
replay of a key with the same body gives the first answer again, another
body gives 422, no key gives 400. It can misbehave the ways a real portal
does: refuse connections, answer 503 with Retry-After, or process a
request and lose the answer. It counts how often it processed each key, so
a test can tell "delivered exactly once" from "delivered twice but
deduplicated by luck".
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from kiosk.portal.errors import (
    PortalConflict,
    PortalOffline,
    PortalRejected,
    PortalServerError,
)


@dataclass
class Fault:
    mode: str = "none"  # none | down | unavailable503 | drop_after_process | conflict409 (per item)
    retry_after_s: float | None = None
    count: int | None = None  # None: until cleared


@dataclass
class PortalState:
    answers: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    processed: dict[str, int] = field(default_factory=dict)  # key -> times created (must be 1)
    received: list[dict[str, Any]] = field(default_factory=list)  # in arrival order
    requests: list[tuple[float, str]] = field(default_factory=list)  # (time, path)
    reject_services: set[str] = field(default_factory=set)
    fault: Fault = field(default_factory=Fault)
    lock: threading.Lock = field(default_factory=threading.Lock)


class NoDelayHTTPServer(ThreadingHTTPServer):
    """A loopback test server that answers without the 40 ms delayed-ACK stall."""

    daemon_threads = True
    allow_reuse_address = True

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        # Without it every answer waits ~40 ms for a delayed ACK (queue-durability.md).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr


class FakePortal:
    """POST /v1/transactions, POST /v1/transactions/batch, GET /v1/health on 127.0.0.1."""

    def __init__(self, opener: Any = None) -> None:
        self.state = PortalState()
        self.opener = opener  # callable(sealed_b64) -> envelope, to check what arrived
        state, portal = self.state, self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if portal._fault_now(self, processing=False):
                    return
                self._send(200, {"status": "ok", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ")})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with state.lock:
                    state.requests.append((time.monotonic(), self.path))
                fault = portal._fault_now(self, processing=True)
                if fault is True:
                    return
                if self.path == "/v1/transactions":
                    status, answer = portal.process(self.headers.get("Idempotency-Key"), body)
                elif self.path == "/v1/transactions/batch":
                    results = []
                    for item in body.get("items", []):
                        st, ans = portal.process(item.get("idempotency_key"), item.get("submission"))
                        results.append({"idempotency_key": item.get("idempotency_key"),
                                        "status": st, "body": ans})
                    status, answer = 200, {"results": results}
                else:
                    status, answer = 404, {"error": {"code": "not_found", "message": self.path}}
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)  # processed, answer lost
                    return
                self._send(status, answer)

            def _send(self, status: int, body: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                head = [f"HTTP/1.1 {status} X", "Content-Type: application/json",
                        f"Content-Length: {len(data)}"]
                head += [f"{k}: {v}" for k, v in (headers or {}).items()]
                self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)

        self.server = NoDelayHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _fault_now(self, handler: Any, processing: bool) -> bool | str:
        """Apply the active fault; True when the request was answered (or dropped) by it."""
        with self.state.lock:
            fault = self.state.fault
            if fault.mode in ("none", "conflict409"):  # 409 is per item: see process()
                return False
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.state.fault = Fault()
        if fault.mode == "down":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.mode == "unavailable503":
            headers = {"Retry-After": f"{fault.retry_after_s:g}"} if fault.retry_after_s else {}
            handler._send(503, {"error": {"code": "unavailable", "message": "maintenance"}}, headers)
            return True
        if fault.mode == "drop_after_process" and processing:
            return "drop"
        return False

    def set_fault(self, mode: str, retry_after_s: float | None = None,
                  count: int | None = None) -> None:
        with self.state.lock:
            self.state.fault = Fault(mode, retry_after_s, count)

    def process(self, key: str | None, submission: Any) -> tuple[int, dict[str, Any]]:
        """The contract's idempotency rules for one submission."""
        if not key:
            return 400, {"error": {"code": "idempotency_key_missing", "message": "no key"}}
        digest = hashlib.sha256(json.dumps(submission, sort_keys=True).encode()).hexdigest()
        with self.state.lock:
            fault = self.state.fault
            if fault.mode == "conflict409":
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.state.fault = Fault()
                return 409, {"error": {"code": "in_progress", "message": "busy"}}
            if key in self.state.answers:
                first_digest, answer = self.state.answers[key]
                if first_digest != digest:
                    return 422, {"error": {"code": "idempotency_key_reused", "message": "other body"}}
                return 200, answer
            if submission.get("service_id") in self.state.reject_services:
                return 422, {"error": {"code": "invalid_form", "message": "field x is wrong"}}
            opened = self.opener(submission["sealed"]) if self.opener else None
            reference = f"MG-{len(self.state.answers) + 1:06d}"
            answer = {"reference": reference, "status": "received",
                      "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
            self.state.answers[key] = (digest, answer)
            self.state.processed[key] = self.state.processed.get(key, 0) + 1
            self.state.received.append({"key": key, "local_ref": submission["local_ref"],
                                        "reference": reference, "opened": opened})
            return 201, answer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class ThinClient:
    """The calls of kiosk.portal.client.PortalClient the queue uses, raising its error types."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        self.url = url
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False

    def _post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        try:
            response = self.session.post(self.url + path, json=body, headers=headers or {},
                                         timeout=self.timeout)
        except requests.RequestException as exc:
            raise PortalOffline(type(exc).__name__) from exc
        status = response.status_code
        if status in (200, 201):
            return response.json()
        retry_after = response.headers.get("Retry-After")
        retry = float(retry_after) if retry_after else None
        if status >= 500 or status in (408, 429):
            raise PortalServerError(status, retry)
        if status == 409:
            raise PortalConflict(retry)
        error = response.json().get("error", {})
        raise PortalRejected(status, error.get("code", ""), error.get("message", ""))

    def submit_transaction(self, idempotency_key: str, submission: dict[str, Any]) -> dict[str, Any]:
        return self._post("/v1/transactions", submission, {"Idempotency-Key": idempotency_key})

    def submit_batch(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        body = {"items": [{"idempotency_key": k, "submission": s} for k, s in items]}
        return self._post("/v1/transactions/batch", body)["results"]

    def health(self) -> float:
        started = time.perf_counter()
        try:
            response = self.session.get(self.url + "/v1/health", timeout=self.timeout)
        except requests.RequestException as exc:
            raise PortalOffline(type(exc).__name__) from exc
        if response.status_code != 200:
            raise PortalServerError(response.status_code)
        return time.perf_counter() - started

    def close(self) -> None:
        self.session.close()


def bulk_fill(box: Any, n: int, citizens: int, payload: bytes = b"\x00" * 64) -> None:
    """Set-up only: n pending entries of ``citizens`` people in one transaction, through
    the outbox's own INSERT (so each entry's place in its citizen's line is the real one)."""
    from offline_queue import order, schema

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    tag = time.monotonic_ns()
    rows = [{"local_ref": f"B-{tag}-{i}", "idempotency_key": f"k-{tag}-{i}", "kiosk_id": "bench",
             "service_id": "s", "order_key": f"{i % citizens:04x}", "status": "pending",
             "created_at": stamp, "updated_at": stamp, "size": len(payload), "attempts": 0,
             "next_attempt_at": 0.0, "sealed": payload} for i in range(n)]
    with box._write() as conn:
        conn.executemany(order.INSERT_ENTRY, rows)
        schema.recount(conn)  # the outbox's own writes keep the counts; this one is ours
