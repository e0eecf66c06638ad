"""Fuzz: what a receipt prints (`devices.receipt.render`).

What is fuzzed: the texts that reach a receipt from outside the kiosk's own
code: the service name (catalog), the citizen's name and personal number
(portal or certificate), the local and portal references and the tracking
URL made from the portal's reference, amount labels. Any unicode: emoji,
right-to-left text, combining marks, zero-width and control characters, NUL,
lone surrogates (JSON from the portal may carry them), words far wider than
the paper, references too long for any QR code.

"Handled" means: `render` returns a mode "1" image exactly as wide as the
paper (576 or 384 dots) and `receipt_lines` returns the wrapped lines; no
exception.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from devices.receipt import STATUSES, Amount, Receipt, example_receipt, receipt_lines, render
from tests.fuzz_profiles import fuzz

TRACK_URL = "https://my.gov.ge/track/"

awkward = st.sampled_from([
    "👨‍👩‍👧‍👦", "🇬🇪", "שלום עולם", "مرحبا بالعالم", "\u202eevil\u202c", "e\u0301\u0301\u0301",
    "\u200b\u200d\ufeff", "\x00\x07\t\r\x0b\x1b", "\ud800", "\udfff", "\U0010ffff", "ႠႡႢ ᲐᲑᲒ",
    "W" * 400, "ნასამართლობისცნობისგაცემა" * 20, "\n\n\n", " ",
])
texts = st.lists(
    awkward | st.text(max_size=40) | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    max_size=4).map("".join)


@st.composite
def receipts(draw: st.DrawFn) -> Receipt:
    portal_reference = draw(st.none() | texts | st.integers(2400, 4000).map(lambda n: "R" * n))
    local_reference = draw(texts)
    return dataclasses.replace(
        example_receipt(draw(st.sampled_from(["ka", "en", "ru"]))),
        service_name=draw(texts),
        citizen_name=draw(texts),
        personal_number=draw(texts),
        local_reference=local_reference,
        portal_reference=portal_reference,
        # As kiosk.desk builds it: the configured prefix plus the portal's (or local) reference.
        tracking_url=TRACK_URL + (portal_reference or local_reference),
        status=draw(st.sampled_from(STATUSES)),
        amounts=tuple(Amount(draw(texts), Decimal(draw(st.integers(0, 10**9))) / 100)
                      for _ in range(draw(st.integers(0, 2)))),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


@fuzz(15)
@given(receipts(), st.sampled_from([576, 384]))
@example(dataclasses.replace(example_receipt(), portal_reference="A" * 3000,
                             tracking_url=TRACK_URL + "a" * 3000), 576)
@example(dataclasses.replace(example_receipt(), portal_reference="\ud800",
                             tracking_url=TRACK_URL + "\ud800"), 384)
def test_any_text_renders_at_paper_width(receipt: Receipt, width: int) -> None:
    image = render(receipt, width)
    assert image.mode == "1" and image.width == width and image.height > 0
    assert receipt_lines(receipt, width)


def test_a_reference_too_long_for_a_qr_code_still_prints_the_reference() -> None:
    """The QR once raised ValueError (version 41) and the citizen got no receipt at all."""
    long_ref = "mg-" + "x7" * 1500  # lower case: byte mode, more than version 40 holds
    receipt = dataclasses.replace(example_receipt("en"), portal_reference=long_ref,
                                  tracking_url=TRACK_URL + long_ref)
    assert render(receipt).width == 576
    lines = receipt_lines(receipt)
    assert "Scan to track your request" not in lines
    assert "".join(lines).count("x7") == 1500
