"""The simulator's HTTP side: routing, faults, TLS, and answers sent in one write.

Every accepted socket gets TCP_NODELAY and every answer (status line,
headers and body) leaves in a single write: the stdlib's two-send answer
meets Nagle and the client's delayed ACK and costs about 40 ms per request
(research/queue-durability.md), which would make every benchmark through
the simulator measure the stall instead of the kiosk.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import threading
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kiosk.portal.simulator.api import PortalApi, Reply, Request, SessionMissing, error
from kiosk.portal.simulator.contract import Checker
from kiosk.portal.simulator.enrolment import KioskRegistry
from kiosk.portal.simulator.faults import FaultError, Faults
from kiosk.portal.simulator.store import iso

log = logging.getLogger("kiosk.portal.simulator")
MAX_BODY = 4 * 1024 * 1024

_P = r"([A-Za-z0-9_.\-]+)"
ROUTES: list[tuple[str, re.Pattern[str], str, tuple[str, ...]]] = [
    (m, re.compile(f"^{p}$"), name, params) for m, p, name, params in (
        ("GET", "/v1/health", "health", ()),
        ("POST", "/v1/auth/challenge", "challenge", ()),
        ("POST", "/v1/auth/card", "auth_card", ()),
        ("POST", "/v1/auth/password", "auth_password", ()),
        ("GET", "/v1/profile", "profile", ()),
        ("PATCH", "/v1/profile", "update_profile", ()),
        ("GET", "/v1/catalog", "catalog", ()),
        ("GET", f"/v1/lookups/{_P}", "lookup", ("kind",)),
        ("POST", "/v1/payments", "pay", ()),
        ("POST", "/v1/transactions/batch", "submit_batch", ()),
        ("POST", "/v1/transactions", "submit", ()),
        ("GET", f"/v1/transactions/{_P}", "transaction_status", ("reference",)),
        ("GET", "/v1/citizen/transactions", "citizen_transactions", ()),
        ("POST", f"/v1/kiosks/{_P}/heartbeat", "heartbeat", ("kiosk_id",)),
        ("PUT", f"/v1/admin/kiosks/{_P}", "admin_enrol_kiosk", ("kiosk_id",)),
        ("GET", f"/v1/admin/kiosks/{_P}", "admin_get_kiosk", ("kiosk_id",)),
        ("POST", "/_sim/faults", "sim_set_fault", ()),
        ("GET", "/_sim/faults", "sim_get_fault", ()),
        ("GET", "/_sim/transactions", "sim_transactions", ()),
        ("POST", f"/_sim/transactions/{_P}/answer", "sim_answer", ("reference",)),
        ("POST", "/_sim/settings", "sim_settings", ()),
        ("POST", "/_sim/sessions/expire", "sim_expire_sessions", ()),
        ("GET", "/_sim/heartbeats", "sim_heartbeats", ()),
    )
]


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: PortalApi, faults: Faults,  # noqa: PLR0913, PLR0917
                 tls: ssl.SSLContext | None, kiosks: KioskRegistry,
                 contract: Checker | None = None) -> None:
        super().__init__(address, Handler)
        self.api = api
        self.faults = faults
        self.tls = tls
        self.kiosks = kiosks
        self.contract = contract  # None unless PORTAL_SIM_CONTRACT=1

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            # The handshake runs in the handler's thread, so a client that
            # stalls or rejects our certificate cannot block accept().
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that reject the TLS certificate or hang up are expected here.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimHTTPServer
    server_version = "portal-sim/1"
    _body: bytes = b""  # the request body being answered, for the contract check

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self) -> None:
        path = self.path.split("?", 1)[0]
        self._body = b""  # one handler serves every request of a keep-alive connection
        is_sim = path.startswith("/_sim/")
        fault = self.server.faults.take() if not is_sim else None
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(error(413, "too_large", "the body is larger than 4 MiB"))
            self.close_connection = True
            return
        raw = self.rfile.read(length) if length else b""
        self._body = raw
        if fault is not None and fault.mode == "down":
            self._drop()
            return
        if fault is not None and fault.mode == "error500":
            self._send(error(500, "internal_error", "simulated server error"))
            return
        if fault is not None and fault.mode == "unavailable503":
            self._send(error(503, "unavailable", "simulated maintenance",
                             **{"Retry-After": str(fault.retry_after_s)}))
            return
        if fault is not None and fault.mode == "timeout408":
            # RFC 9110: a server that sends 408 closes the connection.
            self.close_connection = True
            self._send(error(408, "request_timeout", "simulated request time-out"))
            return
        if fault is not None and fault.mode == "throttle429":
            self._send(error(429, "too_many_requests", "simulated rate limit",
                             **{"Retry-After": str(fault.retry_after_s)}))
            return
        reply = self._route(path, raw, fault.delay_s if fault and fault.mode == "slow" else 0.0)
        if fault is not None and fault.mode == "drop_after_process":
            self._drop()  # processed and stored; the answer is lost on the way
            return
        self._send(reply)

    def _route(self, path: str, raw: bytes, delay_s: float) -> Reply:
        headers = {k.lower(): v for k, v in self.headers.items()}
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return error(400, "invalid_json", "the body is not JSON")
        allowed = []
        for method, pattern, name, params in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            allowed.append(method)
            if method != self.command:
                continue
            req = Request(self.command, path, headers, body, dict(zip(params, match.groups(),
                                                                       strict=True)), delay_s)
            target = (getattr(self, name, None) or getattr(self.server.kiosks, name, None)
                      or getattr(self.server.api, name))
            try:
                return target(req)
            except SessionMissing:
                return error(401, "session_expired", "log in again",
                             **{"WWW-Authenticate": 'Bearer realm="my.gov.ge"'})
            except Exception:
                log.exception("handler %s failed", name)
                return error(500, "internal_error", "the simulator failed")
        if allowed:
            return error(405, "method_not_allowed", "use " + ", ".join(allowed),
                         Allow=", ".join(allowed))
        return error(404, "not_found", "no such endpoint")

    def _send(self, reply: Reply) -> None:
        if reply.raw is not None:
            payload = reply.raw
        elif reply.body is not None:
            payload = json.dumps(reply.body, ensure_ascii=False).encode()
        else:
            payload = b""
        phrase = HTTPStatus(reply.status).phrase
        lines = [f"HTTP/1.1 {reply.status} {phrase}", f"Server: {self.server_version}",
                 f"Date: {self.date_time_string()}"]
        if reply.status not in (204, 304):
            lines += ["Content-Type: application/json; charset=utf-8",
                      f"Content-Length: {len(payload)}"]
        lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        if self.server.contract is not None:
            # Before the write (about 1 ms): a client that has its answer knows the
            # check is done, so a problem lands in the test that caused it.
            sent = dict(line.split(": ", 1) for line in lines[1:])
            self.server.contract.check(self.command, self.path, dict(self.headers.items()),
                                       self._body, reply.status, sent, payload)
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        self.log_request(reply.status, len(payload))

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- simulator-only endpoints ---------------------------------------------------
    def sim_set_fault(self, req: Request) -> Reply:
        body = req.json if isinstance(req.json, dict) else {}
        try:
            fault = self.server.faults.set(
                str(body.get("mode", "none")), float(body.get("delay_s") or 0),
                int(body.get("retry_after_s") or 5),
                None if body.get("count") is None else int(body["count"]))
        except (FaultError, ValueError, TypeError) as exc:
            return error(422, "invalid_fault", str(exc))
        return Reply(200, _fault_json(fault, self.server.faults.hits))

    def sim_get_fault(self, req: Request) -> Reply:
        return Reply(200, _fault_json(self.server.faults.current(), self.server.faults.hits))

    def sim_transactions(self, req: Request) -> Reply:
        api = self.server.api
        items = []
        for row in reversed(api.store.transactions()):
            items.append({"reference": row["reference"], "idempotency_key": row["idempotency_key"],
                          "kiosk_id": row["kiosk_id"], "service_id": row["service_id"],
                          "local_ref": row["local_ref"], "received_at": iso(row["received_at"]),
                          "status": api._status_of(row)["status"],
                          "card_signed": bool(row["card_signed"]),
                          "request": json.loads(row["request"])})
        return Reply(200, {"items": items})

    def sim_answer(self, req: Request) -> Reply:
        import time

        text = (req.json or {}).get("answer") if isinstance(req.json, dict) else None
        if not isinstance(text, str) or not text:
            return error(422, "invalid_request", "answer is required")
        if not self.server.api.store.answer(req.params["reference"], text, time.time()):
            return error(404, "not_found", "no transaction with this reference")
        row = self.server.api.store.transaction(req.params["reference"])
        return Reply(200, self.server.api._status_of(row or {}))

    def sim_settings(self, req: Request) -> Reply:
        settings = self.server.api.settings
        body = req.json if isinstance(req.json, dict) else {}
        try:
            for name in ("letter_answer_delay_s", "session_ttl_s", "challenge_ttl_s"):
                if name in body:
                    setattr(settings, name, float(body[name]))
            if "payment_limit_gel" in body:
                settings.payment_limit_gel = Decimal(str(body["payment_limit_gel"]))
            if "kiosk_enrolment" in body:
                self.server.kiosks.set_mode(str(body["kiosk_enrolment"]))
        except (ValueError, TypeError, InvalidOperation) as exc:
            return error(422, "invalid_settings", str(exc))
        return Reply(200, {"kiosk_enrolment": self.server.kiosks.mode,
                           "letter_answer_delay_s": settings.letter_answer_delay_s,
                           "session_ttl_s": settings.session_ttl_s,
                           "challenge_ttl_s": settings.challenge_ttl_s,
                           "payment_limit_gel": f"{settings.payment_limit_gel:.2f}"})

    def sim_expire_sessions(self, req: Request) -> Reply:
        self.server.api.store.expire_sessions()
        return Reply(204)

    def sim_heartbeats(self, req: Request) -> Reply:
        return Reply(200, {"items": list(self.server.api.heartbeats)})


def _fault_json(fault: Any, hits: int) -> dict[str, Any]:
    return {"mode": fault.mode, "delay_s": fault.delay_s, "retry_after_s": fault.retry_after_s,
            "count": fault.count, "hits": hits}


def tls_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert_path), str(key_path))
    return ctx


def serve_in_thread(server: SimHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="portal-sim", daemon=True)
    thread.start()
    return thread
