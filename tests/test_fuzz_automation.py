"""Fuzz: lines on the UI automation socket (`kiosk.automation`, transport only, no Kivy).

What is fuzzed: the bytes of one line a client writes. Random bytes, JSON of
random shapes, objects with a random ``cmd`` (lone surrogates included, which
JSON allows and UTF-8 cannot carry) and a random ``timeout_s`` (NaN, 1e308,
huge integers, strings, lists), and arrays nested deeper than the decoder goes.
The handler is a stand-in for the Kivy side that answers like the real one:
``unknown_command`` echoing the name it was given, from another thread.

"Handled" means: `AutomationServer.answer` returns a dict (an ``{"error": ...}``
for everything here) and never raises; over a real Unix socket, every line
gets exactly one JSON line back and the connection stays usable for the next.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kiosk import automation
from kiosk.automation import AutomationClient, AutomationServer, encode_answer
from tests.fuzz_profiles import fuzz


def echo_handler(command: dict[str, Any], reply: automation.Reply) -> None:
    """What the real driver does with a command it does not know: name it back."""
    if command.get("cmd") == "boom":
        raise RuntimeError("driver bug")
    reply({"error": "unknown_command", "cmd": command["cmd"], "known": ["state", "tap"]})


def later(function: Any) -> None:
    """call_soon of a UI loop: the handler runs on another thread a moment later."""
    threading.Timer(0.001, function).start()


SERVER = AutomationServer("/nonexistent/unused.sock", echo_handler, later)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
timeouts = (st.floats() | st.integers(min_value=-(10**400), max_value=10**400) | st.text(max_size=5)
            | st.lists(st.integers(), max_size=2) | st.none() | st.booleans())
commands = st.fixed_dictionaries(
    {"cmd": st.text(max_size=10) | st.sampled_from(["\ud800", "boom", "state\x00"])},
    optional={"timeout_s": timeouts, "id": json_values},
)


def as_line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


lines = (
    st.binary(max_size=300)
    | json_values.map(as_line)
    | commands.map(as_line)
    | st.integers(1, 60_000).map(lambda n: b"[" * n)
    | st.integers(1, 60_000).map(lambda n: b'{"cmd":"a","x":' + b"[" * n)
)


def assert_error_answer(answer: Any) -> None:
    assert isinstance(answer, dict) and "error" in answer, answer
    line = encode_answer(answer)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert isinstance(json.loads(line), dict)


@fuzz(200)
@given(lines)
@example(b'{"cmd":"wait","timeout_s":1e308}')
@example(b'{"cmd":"wait","timeout_s":NaN}')
@example(b'{"cmd":"wait","timeout_s":' + b"9" * 400 + b"}")
@example(b'{"cmd":"\\ud800"}')
@example(b"[" * 50_000)
@example(b'{"cmd":"boom"}')
def test_answer_never_raises(line: bytes) -> None:
    assert_error_answer(SERVER.answer(line))


@fuzz(100)
@given(commands)
def test_an_answering_ui_is_heard_whatever_timeout_s_says(command: dict) -> None:
    """NaN once made the server give up at once; 1e308 made Event.wait overflow."""
    answer = SERVER.answer(as_line(command))
    if command["cmd"] == "boom":
        assert answer["error"] == "internal"
    else:
        assert answer == {"error": "unknown_command", "cmd": command["cmd"], "known": ["state", "tap"]}


@pytest.mark.parametrize("timeout_s", [float("nan"), float("inf"), 1e308, -1e308, 10**400, "x", [1]],
                         ids=["nan", "inf", "1e308", "-1e308", "10**400", "string", "list"])
def test_a_silent_ui_gives_no_answer_not_a_crash(timeout_s: Any) -> None:
    silent = AutomationServer("/nonexistent/unused.sock", lambda command, reply: None, lambda f: f())
    with mock.patch.object(automation, "DEFAULT_ANSWER_TIMEOUT_S", 0.0), \
         mock.patch.object(automation, "MAX_EXTRA_TIMEOUT_S", 0.01):
        answer = silent.answer(json.dumps({"cmd": "wait", "timeout_s": timeout_s}).encode())
    assert answer["error"] == "no_answer"


def test_answers_that_are_not_json_become_internal_errors() -> None:
    assert json.loads(encode_answer({"error": "x", "obj": object()}))["error"] == "internal"
    assert json.loads(encode_answer({"cmd": "\udcff"})) == {"cmd": "\udcff"}


@pytest.fixture(scope="module")
def socket_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-auto")
    server = AutomationServer(Path(folder, "a.sock"), echo_handler, later)
    server.start()
    client = AutomationClient(server.path, timeout_s=20)
    yield client
    client.close()
    server.stop()


@fuzz(100)
@given(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")) | commands.map(as_line))
@example(b'{"cmd":"\\udfff"}')
@example(b"[" * 20_000)
def test_every_line_over_the_socket_gets_one_json_answer(socket_server: AutomationClient,
                                                          line: bytes) -> None:
    """The surrogate echo once killed the connection's thread (UnicodeEncodeError)."""
    assert_error_answer(socket_server.send_raw(line))
    # The same connection still answers the next line.
    assert socket_server.send({"cmd": "next"})["cmd"] == "next"
