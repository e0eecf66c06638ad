"""Accessibility checks of what the kiosk shows, from the automation socket's ``state`` answer.

The rules a citizen feels at the glass, measured in millimetres at the
screen's DPI rather than in pixels: touch targets at least 15 mm square
(common kiosk practice, WCAG 2.5.5 scaled to a kiosk), letters at least
4.8 mm tall (ADA §707), the controls a citizen must press in reach, in the
lower part of a tall portrait screen (reach range 380-1220 mm above the
floor), and every message translated into Georgian and Russian in the right
script. Pure functions over plain dicts: no Kivy, so a test, a technician's
tool or CI can run them on any ``state`` answer or screenshot tour.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.i18n import LOCALE_DIR, parse_po

MM_PER_INCH = 25.4
MIN_TARGET_MM = 15.0
MIN_LETTER_MM = 4.8
# Letter heights in DejaVu Sans (the kiosk's font), in em, measured with
# Pillow on the Debian font: capitals "H", "I", "Ж" and digits are 0.729 em.
# Georgian (mkhedruli) has no capitals: its letters sit on the x-height, and
# the smallest, "ო", is 0.547 em. ADA measures the capital "I"; for Georgian
# the honest equivalent is the body height, which is smaller, so Georgian text
# needs a larger font size for the same 4.8 mm. ``font_px`` in the state
# answer is the em size (Kivy's font_size), as docs/ui-contract.md says.
CAP_HEIGHT_EM = 0.729
GEORGIAN_BODY_EM = 0.547
# Essential controls' centres must lie below this fraction of a tall
# portrait screen's height (measured from the top).
REACH_TOP_FRACTION = 0.30
PORTRAIT_RATIO = 1.2
# Controls every citizen meets first and kiosks often put in a header: too
# high is reported as advice rather than as an error.
HEADER_CONTROLS = frozenset({"lang-ka", "lang-en", "lang-ru", "help"})
# Shown as an input but never touched (the PIN dots): no target or reach rule.
DISPLAY_ONLY = frozenset({"pin-input"})
TARGET_KINDS = ("button", "input")
# The presenter's strip of `kiosk demo` (insert card, network...): never on a
# citizen's kiosk, so not held to the citizen's rules.
IGNORED_PREFIXES = ("demo-",)

GEORGIAN = re.compile(r"[\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def mm_to_px(mm: float, dpi: float) -> float:
    """Pixels for a physical length on a screen of ``dpi`` dots per inch."""
    return mm / MM_PER_INCH * dpi


def px_to_mm(px: float, dpi: float) -> float:
    return px * MM_PER_INCH / dpi


def letter_height_em(text: str) -> float:
    """The height of the smallest letters that matter in ``text``, in em (see CAP_HEIGHT_EM)."""
    return GEORGIAN_BODY_EM if GEORGIAN.search(text) else CAP_HEIGHT_EM


@dataclass(frozen=True)
class Violation:
    """One rule broken by one widget, with the measurement and what the rule needs."""

    rule: str  # target_size, text_size, reach, off_screen
    widget_id: str
    measured: str  # e.g. "12.1 x 20.0 mm"
    required: str  # e.g. ">= 15 x 15 mm"
    severity: str = "error"  # or "advice"

    def __str__(self) -> str:
        return f"{self.widget_id}: {self.rule} {self.measured}, needs {self.required} ({self.severity})"


def check_state(state: dict[str, Any], dpi: float | None = None, *,
                reach_exempt: frozenset[str] = HEADER_CONTROLS,
                ignore_prefixes: tuple[str, ...] = IGNORED_PREFIXES) -> list[Violation]:
    """Every size and reach rule broken by the visible widgets of a ``state`` answer.

    ``dpi`` defaults to the answer's own. The window's size comes from
    ``state["window"]`` when present, else from the widgets' extent. A
    control high up on a portrait screen is an error, or advice for the
    ``reach_exempt`` header controls. Widgets whose id starts with one of
    ``ignore_prefixes`` (the demo strip) are skipped.
    """
    dpi = float(dpi or state.get("dpi") or 96)
    widgets = [w for w in state.get("widgets", []) if not str(w.get("id", "")).startswith(ignore_prefixes)]
    if state.get("window"):
        width, height = (float(v) for v in state["window"])
    else:
        width = max((w["rect"][0] + w["rect"][2] for w in widgets), default=0.0)
        height = max((w["rect"][1] + w["rect"][3] for w in widgets), default=0.0)
    portrait = height >= PORTRAIT_RATIO * width > 0
    found: list[Violation] = []
    for widget in widgets:
        wid = str(widget.get("id", "?"))
        x, y, w, h = (float(v) for v in widget["rect"])
        target = widget.get("kind") in TARGET_KINDS and wid not in DISPLAY_ONLY
        if target:
            w_mm, h_mm = px_to_mm(w, dpi), px_to_mm(h, dpi)
            if w_mm < MIN_TARGET_MM or h_mm < MIN_TARGET_MM:
                found.append(Violation("target_size", wid, f"{w_mm:.1f} x {h_mm:.1f} mm",
                                       f">= {MIN_TARGET_MM:g} x {MIN_TARGET_MM:g} mm"))
            if x < 0 or y < 0 or x + w > width or y + h > height:
                found.append(Violation("off_screen", wid, f"rect {[x, y, w, h]}",
                                       f"inside the {width:g} x {height:g} window"))
            centre = y + h / 2
            if portrait and centre < REACH_TOP_FRACTION * height:
                found.append(Violation(
                    "reach", wid, f"centre at {centre / height:.0%} of the height",
                    f"below {REACH_TOP_FRACTION:.0%} from the top",
                    "advice" if wid in reach_exempt else "error"))
        text = str(widget.get("text") or "")
        font_px = float(widget.get("font_px") or 0)
        if font_px > 0 and any(ch.isalnum() for ch in text):
            letter_mm = px_to_mm(font_px * letter_height_em(text), dpi)
            if letter_mm < MIN_LETTER_MM - 0.05:  # rounding of font_px to 0.1 px
                found.append(Violation("text_size", wid, f"letters {letter_mm:.2f} mm (font {font_px:g} px)",
                                       f">= {MIN_LETTER_MM} mm"))
    return found


def errors(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity == "error"]


# ---------------------------------------------------------------- translations
@dataclass(frozen=True)
class MissingTranslation:
    domain: str
    language: str
    msgid: str
    problem: str  # missing, wrong_script, placeholders

    def __str__(self) -> str:
        return f"{self.domain}.po [{self.language}] {self.problem}: {self.msgid[:60]!r}"


def _msgids(po_text: str) -> list[str]:
    """Every msgid of a .po file, translated or not (parse_po keeps only translated ones)."""
    ids: list[str] = []
    current: list[str] | None = None
    for raw in po_text.splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[6:])]
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif current is not None:
            if "".join(current):
                ids.append("".join(current))
            current = None
    if current and "".join(current):
        ids.append("".join(current))
    return ids


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def missing_translations(locale_dir: Path = LOCALE_DIR,
                         languages: tuple[str, ...] = ("ka", "ru")) -> list[MissingTranslation]:
    """Each domain's msgids (from any language's file) lacking a ka/ru translation in its script.

    Checked per domain, not through the chained catalog: a domain that only
    "works" because another domain happens to translate the same msgid is
    reported, since that other domain may change. Msgids without letters
    (numbers, placeholders) need no translation. Fuzzy entries count as missing.
    """
    domains = sorted({po.stem for po in locale_dir.glob("*/LC_MESSAGES/*.po")})
    scripts = {"ka": GEORGIAN, "ru": CYRILLIC}
    found: list[MissingTranslation] = []
    for domain in domains:
        files = [locale_dir / lang / "LC_MESSAGES" / f"{domain}.po" for lang in ("en", *languages)]
        msgids: dict[str, None] = {}
        for po in files:
            if po.exists():
                msgids.update(dict.fromkeys(_msgids(po.read_text(encoding="utf-8"))))
        for lang in languages:
            po = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            translated = parse_po(po.read_text(encoding="utf-8")) if po.exists() else {}
            for msgid in msgids:
                if not re.sub(r"\{[^}]*\}|[^A-Za-z]", "", msgid):
                    continue
                text = translated.get(msgid)
                if not text:
                    found.append(MissingTranslation(domain, lang, msgid, "missing"))
                elif lang in scripts and not scripts[lang].search(text):
                    found.append(MissingTranslation(domain, lang, msgid, "wrong_script"))
                elif _placeholders(text) != _placeholders(msgid):
                    found.append(MissingTranslation(domain, lang, msgid, "placeholders"))
    return found
