"""The simulator checks its own answers against docs/portal-api.yaml, when asked to.

A client-side hook sees only the traffic of the sessions it is attached
to; checking in the simulator's response path sees every request any test
makes (the kiosk's controller, the forwarder, the UI), so an answer that
strays from the document fails the test that provoked it. Switched on by
``PORTAL_SIM_CONTRACT=1`` (the test suite sets it); off, nothing here is
imported, and openapi-core stays a test dependency.

Problems go to a process-wide `PROBLEMS` log that the suite empties after
each test; each `Checker` also remembers which documented operations (and
which of their status codes) it saw, for the coverage test.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger("kiosk.portal.simulator.contract")

ENV = "PORTAL_SIM_CONTRACT"
SPEC_PATH = Path(__file__).resolve().parents[3] / "docs" / "portal-api.yaml"
METHODS = ("get", "put", "post", "patch", "delete")


def enabled() -> bool:
    return os.environ.get(ENV) == "1"


class ProblemLog:
    """Answers outside the document, from every simulator in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[str] = []

    def add(self, problem: str) -> None:
        with self._lock:
            self._items.append(problem)
        log.error("simulator answer outside docs/portal-api.yaml: %s", problem)

    def take(self) -> list[str]:
        """Everything logged so far, emptying the log."""
        with self._lock:
            items, self._items = self._items, []
        return items


PROBLEMS = ProblemLog()


@dataclass
class _Request:
    """openapi-core's Request protocol over what the handler read."""

    host_url: str
    path: str
    method: str
    parameters: Any
    content_type: str
    body: bytes | None


@dataclass
class _Response:
    status_code: int
    headers: Any
    content_type: str
    data: bytes | None


class Checker:
    """Validates one exchange at a time; thread-safe (handler threads share it)."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        import yaml
        from openapi_core import OpenAPI

        self._spec = OpenAPI.from_file_path(str(spec_path))
        document = yaml.safe_load(spec_path.read_text())
        self.operations: list[tuple[str, re.Pattern[str], str]] = []
        for template, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
            for method in METHODS:
                if method in item:
                    self.operations.append((method.upper(), pattern, item[method]["operationId"]))
        self._lock = threading.Lock()
        self.seen: set[tuple[str, int]] = set()
        self.exempt: set[str] = set()  # operations whose answers a test injected on purpose

    def operation(self, method: str, path: str) -> str | None:
        for op_method, pattern, op_id in self.operations:
            if op_method == method and pattern.match(path):
                return op_id
        return None

    def check(self, method: str, target: str, headers: dict[str, str], body: bytes,  # noqa: PLR0913, PLR0917
              status: int, reply_headers: dict[str, str], payload: bytes) -> None:
        """Record ``problems`` for one exchange; an undocumented path is not this check's business."""
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        path, _, query = target.partition("?")
        op_id = self.operation(method, path)
        if op_id is None:  # 404/405 for a path or method the document does not have
            return
        with self._lock:
            self.seen.add((op_id, status))
        if op_id in self.exempt:
            return
        request = _Request(
            "http://portal", path, method.lower(),
            RequestParameters(query=ImmutableMultiDict(parse_qs(query)), header=Headers(headers),
                              cookie=ImmutableMultiDict()),
            headers.get("Content-Type", headers.get("content-type", "")).lower(), body or None)
        response = _Response(status, Headers(reply_headers),
                             reply_headers.get("Content-Type", "").lower(), payload or None)
        where = f"{method} {path} -> {status}"
        try:
            self._spec.validate_response(request, response)
        except Exception as exc:  # openapi-core raises a family of validation errors
            PROBLEMS.add(f"{where}: answer: {exc!r} {exc.__cause__ or ''}")
        if 200 <= status < 300:
            try:
                self._spec.validate_request(request)
            except Exception as exc:
                PROBLEMS.add(f"{where}: request: {exc!r} {exc.__cause__ or ''}")
