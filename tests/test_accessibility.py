"""Size, reach and translation checks on hand-made `state` answers and .po files.

Each rule is shown to catch its violation and to pass a good screen, so a
check that silently passes everything cannot hide behind the UI test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageFont

from kiosk.accessibility import (
    CAP_HEIGHT_EM,
    GEORGIAN_BODY_EM,
    check_state,
    errors,
    missing_translations,
    mm_to_px,
    px_to_mm,
)

DPI = 96
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def px(mm: float) -> int:
    return round(mm_to_px(mm, DPI))


def button(wid: str, y_mm: float, w_mm: float = 40, h_mm: float = 20, text: str = "OK",
           font_mm: float = 6.0) -> dict:
    return {"id": wid, "kind": "button", "text": text, "enabled": True,
            "rect": [px(10), px(y_mm), px(w_mm), px(h_mm)], "font_px": mm_to_px(font_mm, DPI) / CAP_HEIGHT_EM}


def label(wid: str, y_mm: float, text: str, letter_mm: float, em: float) -> dict:
    return {"id": wid, "kind": "label", "text": text, "enabled": True,
            "rect": [px(10), px(y_mm), px(200), px(15)], "font_px": round(mm_to_px(letter_mm, DPI) / em, 1)}


def state(*widgets: dict) -> dict:
    # A 1080 x 1920 portrait screen at 96 dpi: 286 x 508 mm.
    return {"screen": "attract", "language": "ka", "dpi": DPI, "window": [1080, 1920],
            "widgets": list(widgets)}


GOOD = state(
    label("welcome", 30, "მოგესალმებით", 5.0, GEORGIAN_BODY_EM),
    label("site-name", 5, "Justice House", 5.0, CAP_HEIGHT_EM),
    {"id": "pin-input", "kind": "input", "text": "••", "enabled": True, "rect": [40, 300, 1000, 80],
     "font_px": 10},  # display only, bullets: no target, reach or letter rule
    {"id": "animation", "kind": "image", "text": "", "enabled": True, "rect": [40, 400, 1000, 800]},
    button("lang-ka", 400), button("pin-ok", 430, text="დადასტურება",
                                   font_mm=5.0 * CAP_HEIGHT_EM / GEORGIAN_BODY_EM),
    button("demo-network", 490, w_mm=10, h_mm=8, font_mm=2),  # the presenter's strip is not checked
)


def test_mm_and_px_round_trip() -> None:
    assert mm_to_px(25.4, 96) == pytest.approx(96)
    assert px_to_mm(mm_to_px(15, 160), 160) == pytest.approx(15)


def test_a_good_screen_passes() -> None:
    assert check_state(GOOD) == []


def test_a_small_button_is_caught_with_its_size() -> None:
    found = check_state(state(button("pin-5", 400, w_mm=12, h_mm=20), button("pin-6", 400, h_mm=14)))
    assert [(v.rule, v.widget_id) for v in found] == [("target_size", "pin-5"), ("target_size", "pin-6")]
    assert found[0].measured == "11.9 x 20.1 mm"  # 12 mm and 20 mm after rounding to whole pixels
    assert found[0].required == ">= 15 x 15 mm"
    # The same button passes on a screen whose pixels are smaller (higher dpi) only if it is wide enough.
    assert check_state(state(button("pin-5", 400, w_mm=12)), dpi=DPI / 2) == []


def test_small_text_is_caught_by_script() -> None:
    # Latin/Cyrillic capitals are 0.729 em; Georgian letters only 0.547 em: the same font size that is
    # big enough for "Welcome" is too small for "მოგესალმებით".
    font = mm_to_px(4.9, DPI) / CAP_HEIGHT_EM
    latin = {"id": "en", "kind": "label", "text": "Welcome", "enabled": True, "rect": [0, 0, 10, 10],
             "font_px": font}
    georgian = {**latin, "id": "ka", "text": "მოგესალმებით"}
    found = check_state(state(latin, georgian))
    assert [(v.rule, v.widget_id) for v in found] == [("text_size", "ka")]
    assert found[0].measured.startswith("letters 3.6") and found[0].required == ">= 4.8 mm"


def test_a_control_placed_too_high_is_caught_header_controls_are_advice() -> None:
    found = check_state(state(button("logout", 20), button("lang-en", 20), button("pin-ok", 300)))
    assert [(v.rule, v.widget_id, v.severity) for v in found] == [
        ("reach", "logout", "error"), ("reach", "lang-en", "advice")]
    assert [v.widget_id for v in errors(found)] == ["logout"]
    # A landscape window has no "lower part of a tall screen" rule.
    wide = {**state(button("logout", 20)), "window": [1920, 1080]}
    assert check_state(wide) == []


def test_a_control_off_the_window_is_caught() -> None:
    stray = button("continue", 400)
    stray["rect"][0] = 1000
    assert [v.rule for v in check_state(state(stray))] == ["off_screen"]


def test_font_constants_match_the_installed_dejavu_sans() -> None:
    font = ImageFont.truetype(DEJAVU, 1000)

    def height(ch: str) -> float:
        return -font.getbbox(ch, anchor="ls")[1] / 1000

    assert height("H") == pytest.approx(CAP_HEIGHT_EM, abs=0.01)
    assert height("Ж") == pytest.approx(CAP_HEIGHT_EM, abs=0.01)
    assert min(height(ch) for ch in "აოსმგ") == pytest.approx(GEORGIAN_BODY_EM, abs=0.01)


def write_po(root: Path, lang: str, domain: str, entries: dict[str, str],
             fuzzy: tuple[str, ...] = ()) -> None:
    folder = root / lang / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for msgid, msgstr in entries.items():
        if msgid in fuzzy:
            lines.append("#, fuzzy")
        lines += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    (folder / f"{domain}.po").write_text("\n".join(lines), encoding="utf-8")


def test_missing_translations_are_found_per_domain(tmp_path: Path) -> None:
    ids = ["Hello", "Tries: {n}", "{n}", "Draft", "Only here"]
    write_po(tmp_path, "en", "one", {m: m for m in ids[:4]})
    write_po(tmp_path, "ka", "one", {"Hello": "გამარჯობა", "Tries: {n}": "ცდა: {count}", "{n}": "",
                                     "Draft": "დრაფტი", "Only here": "მხოლოდ აქ"}, fuzzy=("Draft",))
    write_po(tmp_path, "ru", "one", {"Hello": "Hello", "Tries: {n}": "Попытки: {n}", "Draft": "Черновик",
                                     "Only here": "Только здесь"})
    write_po(tmp_path, "en", "two", {"Bye": "Bye"})  # no ka or ru file at all
    found = {(m.domain, m.language, m.msgid, m.problem) for m in missing_translations(tmp_path)}
    assert found == {
        ("one", "ka", "Tries: {n}", "placeholders"),
        ("one", "ka", "Draft", "missing"),  # fuzzy is not a translation
        ("one", "ru", "Hello", "wrong_script"),
        ("two", "ka", "Bye", "missing"),
        ("two", "ru", "Bye", "missing"),
    }


def test_every_domain_of_the_kiosk_is_translated() -> None:
    assert [str(m) for m in missing_translations()] == []
