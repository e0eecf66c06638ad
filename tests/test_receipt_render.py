"""The receipt picture: every glyph real, one baseline, wrapped, masked, translated, scannable."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PIL import Image, ImageChops
from pyzbar.pyzbar import decode as read_barcodes

from devices import text_raster
from devices.receipt import (
    STATUS_TEXT,
    Amount,
    Receipt,
    example_receipt,
    mask_personal_number,
    receipt_lines,
    render,
    render_png_bytes,
)
from devices.text_raster import SURELY_MISSING, FontChain, wrap
from kiosk.i18n import LOCALE_DIR, parse_po

LANGUAGES = ("ka", "en", "ru")


def qr_texts(image: Image.Image) -> list[str]:
    return [code.data.decode() for code in read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("width", [576, 384])
@pytest.mark.parametrize("language", LANGUAGES)
def test_full_width_one_bit_image(language: str, width: int) -> None:
    image = render(example_receipt(language), width)
    assert image.mode == "1"
    assert image.width == width
    assert 600 < image.height < 2400
    # Ink inside the side margins only: nothing is cut off at the paper's edge.
    ink = ImageChops.invert(image.convert("L")).getbbox()
    assert ink is not None and ink[0] >= 8 and ink[2] <= width - 8


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_glyph_is_a_missing_glyph_box(language: str) -> None:
    """Each printed character, in the font chosen for it, differs from that font's .notdef box."""
    receipt = example_receipt(language, status="queued")
    text = "".join(receipt_lines(receipt)) + "".join(receipt_lines(example_receipt(language)))
    for chain in (FontChain(26), FontChain(26, bold=True), FontChain(21)):
        for char in sorted(set(text) - {" "}):
            font = chain.font_for(char)
            drawn, box = font.getmask(char), font.getmask(SURELY_MISSING)
            assert (drawn.size, bytes(drawn)) != (box.size, bytes(box)), (
                f"{char!r} (U+{ord(char):04X}) prints as a missing-glyph box in {font.path}")


def test_georgian_and_lari_come_from_the_georgian_font() -> None:
    chain = FontChain(26)
    for char in "ქვითარიᲥⴀ\u20be":
        assert "Georgian" in chain.font_for(char).path, char
    for char in "Rк5@":
        assert "Georgian" not in chain.font_for(char).path, char


def _ink_bottom(canvas: Image.Image, left: int, right: int) -> int:
    box = ImageChops.invert(canvas.crop((left, 0, right, canvas.height))).getbbox()
    assert box is not None
    return box[3]


def test_scripts_share_one_baseline() -> None:
    """Georgian, Latin, Cyrillic and digits in one line sit on the same baseline."""
    chain = FontChain(40)
    canvas = Image.new("L", (400, 100), 255)
    baseline = 70
    x = 10
    columns = []
    for char in "ა", "a", "п", "5", "ო":  # letters without descenders
        width = chain.width(char)
        chain.draw(canvas, x, baseline, char)
        columns.append((x, x + width))
        x += width + 10
    bottoms = [_ink_bottom(canvas, left, right) for left, right in columns]
    assert max(bottoms) - min(bottoms) <= 1, bottoms
    assert abs(bottoms[0] - baseline) <= 1


def test_long_lines_wrap_at_word_boundaries() -> None:
    chain = FontChain(26, bold=True)
    text = ("საჯარო რეესტრიდან ამონაწერის გაცემა უძრავ ქონებაზე დაჩქარებული "
            "წესით ერთი სამუშაო დღის ვადაში")
    lines = wrap(text, chain, 300)
    assert len(lines) >= 3
    assert all(chain.width(line) <= 300 for line in lines)
    assert " ".join(lines).split() == text.split()  # no word cut in two


def test_a_word_longer_than_the_line_is_cut_by_letters() -> None:
    chain = FontChain(26)
    url = "https://my.gov.ge/track/K07-20250314-0042-0000000000000000"
    lines = wrap(url, chain, 200)
    assert len(lines) > 1 and "".join(lines) == url
    assert all(chain.width(line) <= 200 for line in lines)


def test_personal_number_is_masked_on_paper() -> None:
    receipt = example_receipt("ka")
    lines = receipt_lines(receipt)
    assert "010*****345" in lines
    assert not any("01001012345" in line for line in lines)
    assert mask_personal_number("12345") == "*****"


def test_time_is_tbilisi_time_whatever_the_zone_given() -> None:
    late_utc = datetime(2025, 12, 31, 22, 30, tzinfo=UTC)  # already 02:30 on 1 January in Tbilisi
    lines = receipt_lines(replace(example_receipt("en"), created_at=late_utc))
    assert any(line.startswith("01.01.2026 02:30") for line in lines), lines
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(example_receipt("en"), created_at=datetime(2025, 1, 1, 12, 0))  # noqa: DTZ001


@pytest.mark.parametrize(("language", "title", "queued_text"), [
    ("ka", "ქვითარი", "ელოდება გაგზავნას"),
    ("en", "Receipt", "Waiting to be sent"),
    ("ru", "Квитанция", "Ожидает отправки"),
])
def test_labels_and_status_in_the_receipts_language(language: str, title: str, queued_text: str) -> None:
    queued = receipt_lines(example_receipt(language, status="queued"))
    assert title in queued
    assert any(line.startswith(queued_text) for line in queued)
    delivered = receipt_lines(example_receipt(language, status="delivered"))
    assert not any(line.startswith(queued_text) for line in delivered)
    # The portal's own contact block, exactly as my.gov.ge prints it.
    assert queued[-3:] == ["2251528 8888", "info@my.gov.ge", "my.gov.ge"]


def test_queued_receipt_has_no_portal_reference() -> None:
    lines = receipt_lines(example_receipt("en", status="queued"))
    assert "Portal reference" not in lines and "Reference" in lines
    assert "Portal reference" in receipt_lines(example_receipt("en", status="delivered"))


def test_every_receipt_label_is_translated_to_georgian_and_russian() -> None:
    english = parse_po((LOCALE_DIR / "en/LC_MESSAGES/receipt.po").read_text(encoding="utf-8"))
    for language in ("ka", "ru"):
        catalog = parse_po((LOCALE_DIR / language / "LC_MESSAGES/receipt.po").read_text(encoding="utf-8"))
        for msgid in list(english) + list(STATUS_TEXT.values()):
            assert catalog.get(msgid) and catalog[msgid] != msgid, (language, msgid)


def test_amounts_and_total_in_lari() -> None:
    receipt = replace(example_receipt("en"), amounts=(Amount("Fine 1", Decimal("12.5")),
                                                      Amount("", Decimal("1234.05"))),
                      fee=Decimal("1"))
    lines = receipt_lines(receipt)
    assert receipt.total == Decimal("1247.55")
    for expected in ("12.50 \u20be", "1 234.05 \u20be", "1.00 \u20be", "1 247.55 \u20be", "Amount"):
        assert expected in lines


@pytest.mark.parametrize("width", [576, 384])
def test_qr_code_reads_back_as_the_tracking_url(width: int) -> None:
    receipt = example_receipt("ka")
    assert qr_texts(render(receipt, width)) == [receipt.tracking_url]


def test_png_for_the_screen_is_the_same_picture() -> None:
    receipt = example_receipt("ru")
    shown = Image.open(io.BytesIO(render_png_bytes(receipt)))
    assert ImageChops.difference(shown.convert("L"), render(receipt).convert("L")).getbbox() is None


def test_first_contract_argument_order_still_works() -> None:
    receipt = example_receipt("en")
    old_style = render(receipt, "ka", 384)
    assert old_style.width == 384
    assert ImageChops.difference(old_style, render(replace(receipt, language="ka"), 384)).getbbox() is None


def test_round_trip_through_a_dict() -> None:
    receipt = example_receipt("ka", status="payment_declined")
    assert Receipt.from_dict(receipt.to_dict()) == receipt


def test_falls_back_to_kivys_dejavu_when_debian_fonts_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_raster, "_FONT_DIRS", ())
    georgian, other = text_raster.font_files()
    assert other and all("kivy" in str(path) for path in georgian + other)
    chain = FontChain(30)
    # DejaVuSans has Mkhedruli, so Georgian still prints, with real glyphs.
    for char in "ქვითარი":
        font = chain.font_for(char)
        assert bytes(font.getmask(char)) != bytes(font.getmask(SURELY_MISSING))
