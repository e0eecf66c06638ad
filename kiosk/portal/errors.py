"""The few portal errors the core needs, named by what the kiosk does next.

Callers catch by meaning, as with requests' own hierarchy: offline means
"take the offline path", rejected means "tell the citizen why, never retry",
server error means "retry later", and the two auth errors mean "log in again".
"""

from __future__ import annotations


class PortalError(Exception):
    """Base of every error the portal client raises."""


class PortalOffline(PortalError):
    """No answer: connection refused, DNS, TLS failure or a time-out."""


class PortalServerError(PortalError):
    """5xx, 408 or 429: the portal may take the same request later."""

    def __init__(self, status: int, retry_after_s: float | None = None, message: str = "") -> None:
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(message or f"portal answered {status}")


class PortalConflict(PortalError):
    """409: the first request with this idempotency key is still being processed."""

    def __init__(self, retry_after_s: float | None = None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__("a request with this idempotency key is still in progress")


class PortalRejected(PortalError):
    """Another 4xx: the portal will not take this request as it is; never retry blindly."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        self.status = status
        self.code = code
        self.reason = reason
        super().__init__(f"portal rejected the request ({status} {code}): {reason}")


class PortalUnauthorised(PortalError):
    """401 on login: the card, certificate or password was not accepted."""

    def __init__(self, code: str = "unauthorised", reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"not authorised ({code}) {reason}".strip())


class SessionExpired(PortalError):
    """401 on a call with a session token: the citizen's portal session ended."""
