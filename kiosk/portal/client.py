"""The kiosk's one way to talk to the citizen portal (docs/portal-api.yaml).

One `requests.Session` carries the connection pool, TLS trust and default
headers, as the requests docs recommend; every call has a (connect, read)
time-out so a dead network cannot freeze a citizen's screen.

Retries are done by urllib3 only where a repeat cannot make a second
payment or a second submission: GETs and POSTs that carry an
Idempotency-Key (and the batch, whose items all carry one). Logins,
challenges, profile changes and heartbeats are never repeated behind the
caller's back. Status codes are not retried here: a 503's Retry-After goes
up to the caller (the forwarder) in `PortalServerError.retry_after_s`.

urllib3 sets TCP_NODELAY on its sockets, so the client does not add to the
40 ms delayed-ACK stall described in research/queue-durability.md.
"""

from __future__ import annotations

import base64
import email.utils
import math
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kiosk import __version__
from kiosk.portal.errors import (
    PortalConflict,
    PortalOffline,
    PortalRejected,
    PortalServerError,
    PortalUnauthorised,
    SessionExpired,
)

LOOKUP_KINDS = ("fines", "tax-debt", "utility-bills")

# For calls that are safe to repeat: connection failures, and a connection
# dropped before the answer, are tried twice more with a short back-off.
SAFE_RETRY = Retry(total=2, connect=2, read=2, status=0, other=0, redirect=0,
                   backoff_factor=0.2, allowed_methods=None, raise_on_status=False,
                   respect_retry_after_header=False)
NO_RETRY = Retry(total=0, connect=0, read=0, status=0, other=0, redirect=0,
                 raise_on_status=False)


class _PerCallRetryAdapter(HTTPAdapter):
    """An adapter whose Retry is chosen per call, by the thread that makes the call.

    requests reads ``adapter.max_retries`` once per send; making it a
    thread-local property lets one Session (one pool) retry a GET and not
    retry a login POST, even when two threads use the client at once.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._local = threading.local()
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def max_retries(self) -> Retry:
        return getattr(self._local, "retry", NO_RETRY)

    @max_retries.setter
    def max_retries(self, value: Any) -> None:  # HTTPAdapter.__init__ sets it
        pass

    def use(self, retry: Retry) -> None:
        self._local.retry = retry


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True too, and float("²") fails
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _error_fields(response: requests.Response) -> tuple[str, str]:
    try:
        err = response.json().get("error", {})
        return str(err.get("code", "error")), str(err.get("message", ""))
    except (ValueError, AttributeError, RecursionError):
        return "error", response.reason or ""


class PortalClient:
    """Typed calls to the portal; failures come back as `kiosk.portal.errors` types."""

    def __init__(self, base_url: str, ca_bundle: str = "", connect_timeout_s: float = 3,
                 read_timeout_s: float = 10, kiosk_id: str = "demo-kiosk") -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = requests.Session()
        # A CA file pins trust to the portal's own chain; otherwise the
        # system store. Verification is never turned off.
        self.session.verify = ca_bundle or True
        self.session.trust_env = False  # a stray *_PROXY variable must not reroute citizens' data
        self.session.headers.update({"User-Agent": f"justice-house-kiosk/{__version__}",
                                     "Accept": "application/json", "X-Kiosk-Id": kiosk_id})
        self._adapter = _PerCallRetryAdapter(pool_connections=2, pool_maxsize=4)
        self.session.mount("https://", self._adapter)
        self.session.mount("http://", self._adapter)

    # -- plumbing -------------------------------------------------------------------
    def _call(self, method: str, path: str, *, token: str | None = None,
              json: Any = None, headers: dict[str, str] | None = None,
              retry_safe: bool = False, login: bool = False,
              ok: tuple[int, ...] = (200,)) -> requests.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        self._adapter.use(SAFE_RETRY if retry_safe else NO_RETRY)
        try:
            response = self.session.request(method, self.base_url + path, json=json,
                                            headers=all_headers, timeout=self.timeout,
                                            allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as exc:
            # The exception text can hold the URL but never the request body.
            raise PortalOffline(f"{method} {path}: {type(exc).__name__}") from exc
        except requests.RequestException as exc:
            raise PortalOffline(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code in ok:
            return response
        self._raise_for(response, login=login)
        raise AssertionError("unreachable")

    @staticmethod
    def _raise_for(response: requests.Response, login: bool) -> None:
        status = response.status_code
        code, message = _error_fields(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status >= 500 or status in (408, 429):
            raise PortalServerError(status, retry_after, f"portal answered {status} {code}")
        if status == 409:
            raise PortalConflict(retry_after)
        if status == 401:
            if login:
                raise PortalUnauthorised(code, message)
            raise SessionExpired(message or "the portal session has ended")
        raise PortalRejected(status, code, message)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." nested too deep
            raise PortalServerError(response.status_code, None,
                                    "the portal answered something that is not JSON") from exc

    # -- health and login -----------------------------------------------------------
    def health(self) -> float:
        """Seconds one health round trip took; raises when the portal does not answer."""
        started = time.perf_counter()
        self._call("GET", "/v1/health", retry_safe=True)
        return time.perf_counter() - started

    def auth_challenge(self) -> dict[str, Any]:
        """A fresh challenge for the card to sign (single use, short-lived)."""
        return self._json(self._call("POST", "/v1/auth/challenge",
                                     json={"kiosk_id": self.kiosk_id}, login=True))

    def auth_card(self, challenge_id: str, certificate_der: bytes,
                  signature: bytes) -> dict[str, Any]:
        """Log in with the card's signature over the challenge; 401 -> PortalUnauthorised."""
        body = {"challenge_id": challenge_id,
                "certificate": base64.b64encode(certificate_der).decode("ascii"),
                "signature": base64.b64encode(signature).decode("ascii"),
                "algorithm": "RSA-PKCS1v15-SHA256"}
        return self._json(self._call("POST", "/v1/auth/card", json=body, login=True))

    def auth_password(self, username: str, password: str) -> dict[str, Any]:
        """Log in with a my.gov.ge username and password (never retried, never logged)."""
        return self._json(self._call("POST", "/v1/auth/password",
                                     json={"username": username, "password": password},
                                     login=True))

    # -- the citizen ----------------------------------------------------------------
    def profile(self, token: str) -> dict[str, Any]:
        return self._json(self._call("GET", "/v1/profile", token=token, retry_safe=True))

    def update_profile(self, token: str, mobile: str, email: str) -> dict[str, Any]:
        """Set the contacts a first login asks for; a bad value -> PortalRejected(422)."""
        return self._json(self._call("PATCH", "/v1/profile", token=token,
                                     json={"mobile": mobile, "email": email}))

    def catalog(self, etag: str | None) -> tuple[dict[str, Any] | None, str | None]:
        """The service catalog, or (None, etag) when the kiosk's copy is current."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._call("GET", "/v1/catalog", headers=headers, retry_safe=True,
                              ok=(200, 304))
        new_etag = response.headers.get("ETag") or etag
        if response.status_code == 304:
            return None, new_etag
        return self._json(response), new_etag

    def lookup(self, token: str, kind: str) -> dict[str, Any]:
        """Unpaid items of one kind: ``fines``, ``tax-debt`` or ``utility-bills``."""
        if kind not in LOOKUP_KINDS:
            raise ValueError(f"kind must be one of {LOOKUP_KINDS}")
        return self._json(self._call("GET", f"/v1/lookups/{kind}", token=token,
                                     retry_safe=True))

    def pay(self, token: str, idempotency_key: str, kind: str,  # noqa: PLR0917
            item_ids: list[str], amount_gel: str, fee_gel: str) -> dict[str, Any]:
        """Pay items; the key makes a repeat return the first answer, never a second charge."""
        body = {"kind": kind, "item_ids": list(item_ids), "amount_gel": str(amount_gel),
                "fee_gel": str(fee_gel)}
        return self._json(self._call("POST", "/v1/payments", token=token, json=body,
                                     headers={"Idempotency-Key": idempotency_key},
                                     retry_safe=True))

    # -- submissions ----------------------------------------------------------------
    def submit_transaction(self, idempotency_key: str, submission: dict[str, Any]) -> dict[str, Any]:
        """Deliver one sealed submission; 201 and its replay both return the receipt."""
        if not idempotency_key:
            raise ValueError("a submission needs an idempotency key")
        return self._json(self._call("POST", "/v1/transactions", json=submission,
                                     headers={"Idempotency-Key": idempotency_key},
                                     retry_safe=True, ok=(200, 201)))

    def submit_batch(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Deliver up to 100 submissions at once; each result carries its own status."""
        if not items or any(not key for key, _ in items):
            raise ValueError("a batch needs at least one item, each with an idempotency key")
        body = {"items": [{"idempotency_key": key, "submission": sub} for key, sub in items]}
        response = self._call("POST", "/v1/transactions/batch", json=body, retry_safe=True)
        answer = self._json(response)
        try:
            results = [{"idempotency_key": r["idempotency_key"], "status": int(r["status"]),
                        "body": r.get("body") or {}} for r in answer["results"]]
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            # Not the contract's shape: the items are still owed, so "try later".
            raise PortalServerError(response.status_code, None,
                                    "the portal's batch answer is not a list of results") from exc
        if not all(isinstance(r["idempotency_key"], str) and isinstance(r["body"], dict)
                   for r in results):
            raise PortalServerError(response.status_code, None,
                                    "the portal's batch answer is not a list of results")
        return results

    def transaction_status(self, reference: str) -> dict[str, Any]:
        return self._json(self._call("GET", f"/v1/transactions/{reference}", retry_safe=True))

    def citizen_transactions(self, token: str) -> dict[str, Any]:
        return self._json(self._call("GET", "/v1/citizen/transactions", token=token,
                                     retry_safe=True))

    def heartbeat(self, summary: dict[str, Any]) -> None:
        """Tell the portal this kiosk is alive (a technician's dashboard reads it)."""
        self._call("POST", f"/v1/kiosks/{self.kiosk_id}/heartbeat", json=summary, ok=(204,))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
