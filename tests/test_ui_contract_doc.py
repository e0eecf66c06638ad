"""docs/ui-contract.md names every automation id the screens can expose, and no other.

The UI tests, the screenshot tour and anyone driving a kiosk over the
automation socket address widgets by `automation_id` alone, so an id the doc
does not name is one nobody can rely on, and a documented id no code makes
sends them looking for a widget that is not there.

Ids are read from the source, not from a running window: a window shows only
one screen's ids at a time and most ids appear only in some state (an error
under a field, a paper-out note). Three ways of giving a widget its id exist:
`automation_id: EXPR` in screens/*.kv, `automation_id=` / `button_id=` in
screens/*.py (or assigning `.automation_id`, or a class's `StringProperty`
default for overlays), and the confirm page's rows, whose id is the third item
of the (label, value, row id) tuples screens/outcome.py builds. Variable parts
(a field's name, a reference, a key's digit) become `*` and must be matched by
a pattern in the doc (`field-<name>-<value>`, `request-<reference>`,
`pin-0` … `pin-9`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from kiosk.session import State

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT / "screens"
DOC = ROOT / "docs" / "ui-contract.md"

WILD = "*"
SAMPLE = "7"  # stands in for a variable part when a template is checked against the doc
ID_SHAPE = re.compile(r"[a-z][a-z0-9_]*(?:-[a-z0-9_*]+)*-?")

# kv expressions that are a whole id set elsewhere: where the value really comes from.
# `None` = the Python side is collected by _python_sites (keyword or tuple).
SET_IN_PYTHON = {"root.button_id": None, "root.row_id": None}


# ------------------------------------------------------------------ templates
def _templates(node: ast.expr, rule: str, *, whole: bool = True) -> list[str]:
    """The ids an expression can give, variable parts as `*`; "" when it gives none."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _templates(node.body, rule, whole=whole) + _templates(node.orelse, rule, whole=whole)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [left + right for left in _templates(node.left, rule, whole=False)
                for right in _templates(node.right, rule, whole=False)]
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else WILD for v in node.values)
        return [text]
    source = ast.unparse(node)
    if source == "root.name" and rule in _message_screen_classes():
        return _message_screen_names()
    if not whole:
        return [WILD]  # e.g. "pin-" + self.text: the key's digit
    if source in SET_IN_PYTHON:
        return []
    raise AssertionError(f"{rule}: cannot tell which ids `{source}` gives; teach this test where it is set")


# ------------------------------------------------------------------ Python side
@cache
def _python_trees() -> tuple[tuple[Path, ast.Module], ...]:
    return tuple((path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
                 for path in sorted(SCREENS.glob("*.py")))


@cache
def _python_classes() -> dict[str, list[str]]:
    """Class name -> base names, over screens/*.py."""
    classes: dict[str, list[str]] = {}
    for _path, tree in _python_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
    return classes


def _subclasses_of(name: str) -> set[str]:
    classes, found = _python_classes(), {name}
    while True:
        more = {c for c, bases in classes.items() if set(bases) & found} - found
        if not more:
            return found
        found |= more


def _message_screen_classes() -> set[str]:
    return _subclasses_of("MessageScreen")


@cache
def _message_screen_names() -> list[str]:
    """The states screens/app.py shows with a MessageScreen (their ids: `<state>-title`...)."""
    tree = ast.parse((SCREENS / "app.py").read_text(encoding="utf-8"))
    family, names = _message_screen_classes(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (isinstance(key, ast.Attribute) and isinstance(value, ast.Call)
                        and ast.unparse(value.func) in family):
                    names.append(State[key.attr].value)
    assert names, "screens/app.py no longer builds message screens the way this test reads them"
    return names


def _string_default(value: ast.expr) -> ast.expr:
    """`StringProperty("x")` -> "x"; anything else as it is."""
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "StringProperty" and value.args:
        return value.args[0]
    return value


def _python_sites() -> Iterator[tuple[str, ast.expr]]:
    for path, tree in _python_trees():
        if path.name == "automation.py":
            continue  # the driver looks ids up; it makes none
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("automation_id", "button_id"):
                yield path.name, node.value
            elif isinstance(node, ast.Assign):
                # `x.automation_id = ...` anywhere; a bare name only as a class's default
                # (an overlay's), not a local variable that holds an id somebody else made.
                if any(isinstance(t, ast.Attribute) and t.attr == "automation_id" for t in node.targets):
                    yield path.name, node.value
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (isinstance(statement, ast.Assign)
                            and any(getattr(t, "id", "") == "automation_id" for t in statement.targets)):
                        yield path.name, _string_default(statement.value)
            elif (path.name == "outcome.py" and isinstance(node, ast.Tuple) and len(node.elts) == 3
                  and isinstance(node.elts[2], ast.Constant | ast.JoinedStr)):
                yield path.name, node.elts[2]  # a confirm row: (label, value, row id)


# ------------------------------------------------------------------ kv side
RULE = re.compile(r"^<([A-Za-z0-9_]+)(?:@[A-Za-z0-9_+]+)?>:")
KV_ID = re.compile(r"^\s+automation_id:\s*(.+?)\s*$")
KV_CHILD = re.compile(r"^\s+([A-Z][A-Za-z0-9_]*):\s*$")


@cache
def _kv_files() -> tuple[tuple[Path, list[str]], ...]:
    return tuple((path, path.read_text(encoding="utf-8").splitlines())
                 for path in sorted(SCREENS.glob("*.kv")))


@cache
def _used_classes() -> set[str]:
    """Widget classes something makes: a kv child line, or a call in Python (Factory too)."""
    used: set[str] = set()
    for _path, lines in _kv_files():
        used |= {m.group(1) for line in lines if (m := KV_CHILD.match(line))}
    for _path, tree in _python_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                used.add(ast.unparse(node.func).rsplit(".", 1)[-1])
    return used


def _rule_is_used(rule: str, used: set[str]) -> bool:
    """A kv rule matters if its class, a Python subclass or a kv class based on it is made."""
    kv_based = {m.group(1) for _p, lines in _kv_files() for line in lines
                if (m := re.match(rf"^<([A-Za-z0-9_]+)@{rule}>:", line))}
    family = _subclasses_of(rule) | kv_based
    return bool(family & used) or any(_rule_is_used(c, used) for c in kv_based)


def _kv_sites() -> Iterator[tuple[str, str, ast.expr]]:
    used = _used_classes()
    for path, lines in _kv_files():
        rule = ""
        for line in lines:
            if m := RULE.match(line):
                rule = m.group(1)
            elif (m := KV_ID.match(line)) and _rule_is_used(rule, used):
                yield f"{path.name} <{rule}>", rule, ast.parse(m.group(1), mode="eval").body


def code_ids() -> dict[str, str]:
    """Every id template the screens can expose -> where it is made."""
    found: dict[str, str] = {}
    for where, rule, expr in _kv_sites():
        for template in _templates(expr, rule):
            if template:
                found.setdefault(template, where)
    for where, expr in _python_sites():
        for template in _templates(expr, ""):
            if template:
                found.setdefault(template, where)
    return found


# ------------------------------------------------------------------ the doc
def doc_ids() -> set[str]:
    """Backquoted names in the doc, with `x-ka`/`-en` and `pin-0` … `pin-9` written out."""
    text = DOC.read_text(encoding="utf-8")
    names = set(re.findall(r"`([^`\n]+)`", text))
    for first, tails in re.findall(r"`([^`\n]+)`((?:/`-[^`\n]+`)+)", text):
        stem = first.rsplit("-", 1)[0]
        names |= {stem + tail for tail in re.findall(r"`(-[^`\n]+)`", tails)}
    for stem, low, high in re.findall(r"`([^`\n]*?)(\d)` … `\1(\d)`", text):
        names |= {f"{stem}{n}" for n in range(int(low), int(high) + 1)}
    return {re.sub(r"<[^>\s]+>", WILD, name) for name in names}


def _regex(template: str, wild: str) -> re.Pattern[str]:
    return re.compile(wild.join(re.escape(part) for part in template.split(WILD)))


def _documented(template: str, documented: set[str]) -> bool:
    sample = template.replace(WILD, SAMPLE)
    # A doc pattern's variable part is one piece between hyphens: `field-<name>` must not
    # stand for `field-<name>-label`, which needs its own line.
    return any(_regex(name, "[^-]+").fullmatch(sample) for name in documented)


def test_the_reader_finds_the_ids_made_every_way() -> None:
    ids = code_ids()
    # One of each mechanism, so a reader that misses one cannot pass the test below.
    for expected in ("lang-ka", "pin-*", "field-*-*", "confirm-fee", "confirm-item-*", "error-ok",
                     "pin_blocked-title", "out_of_service-body", "idle_warning", "keyboard-*",
                     "field-*-error", "demo-insert-card"):
        assert expected in ids, expected
    # The personal page's own ids (screens/personal.kv), not a removed stand-in's.
    assert "home-greeting" in ids and "home-personal-number" not in ids


def test_every_id_the_screens_can_expose_is_in_the_doc() -> None:
    documented = doc_ids()
    missing = sorted(f"{template}  ({where})" for template, where in code_ids().items()
                     if not _documented(template, documented))
    assert not missing, "not in docs/ui-contract.md:\n" + "\n".join(missing)


def test_every_id_the_doc_names_is_made_somewhere() -> None:
    made = code_ids()

    def is_made(name: str) -> bool:
        # Either way round: `pin-0` is one of the code's `pin-*`; the doc's `demo-*` stands
        # for the code's `demo-insert-card` and its neighbours.
        return any(_regex(t, ".+").fullmatch(name.replace(WILD, SAMPLE))
                   or _regex(name, ".+").fullmatch(t.replace(WILD, SAMPLE)) for t in made)

    # Hyphenated lowercase names are ids; other backquoted words are screen names, reasons, keys.
    named = {n for n in doc_ids() if "-" in n.strip("-") and ID_SHAPE.fullmatch(n) and not n.startswith("-")}
    unmade = sorted(n for n in named if not is_made(n))
    assert not unmade, "docs/ui-contract.md names ids no code makes:\n" + "\n".join(unmade)


def test_an_id_from_an_unknown_property_stops_the_reader() -> None:
    # A new indirection (an id held in some other property) must not be skipped in silence.
    with pytest.raises(AssertionError, match="cannot tell"):
        _templates(ast.parse("root.mystery_id", mode="eval").body, "SomeRule")
    assert _templates(ast.parse('"key-" + self.text', mode="eval").body, "SomeRule") == ["key-*"]
