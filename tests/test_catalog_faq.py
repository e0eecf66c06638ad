"""The portal's FAQ from the brochure, in three languages, with its contact details."""

import re

import pytest

from kiosk import faq

GEORGIAN = re.compile(r"[\u10d0-\u10ff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# OCR slips in the scanned brochure that must not reach the screen.
OCR_TYPOS = ["შემოძლია", "დაგუფებული", "ნიახლეა", "გაუგავწინოთ", "გაუხველელად", "შითთებ",
             "მიხამართის", "მოწვობილობა", "მოწმობილობა", "ოუსტიციის", "შემწვობით"]


def test_contact_details_exactly_as_in_the_brochure() -> None:
    bundled = faq.load_bundled()
    assert (bundled.phone, bundled.email, bundled.web) == ("2251528 8888", "info@my.gov.ge",
                                                           "my.gov.ge")


def test_the_brochure_questions_are_all_there() -> None:
    ids = {item.id for item in faq.load_bundled().items}
    assert {"which-services", "data-protection", "id-card-and-reader", "ways-to-log-in",
            "log-in-with-card"} <= ids


def test_texts_in_three_languages_in_the_right_script_without_ocr_typos() -> None:
    for item in faq.load_bundled().items:
        for text in (item.question("ka"), item.answer("ka")):
            assert GEORGIAN.search(text)
            assert not [t for t in OCR_TYPOS if t in text], (item.id, text)
        assert CYRILLIC.search(item.question("ru")) and CYRILLIC.search(item.answer("ru"))
        assert not GEORGIAN.search(item.answer("en")) and not CYRILLIC.search(item.answer("en"))


def test_login_answer_mentions_the_pin_and_first_login_contact_details() -> None:
    item = next(i for i in faq.load_bundled().items if i.id == "log-in-with-card")
    assert "4" in item.answer("en") and "PIN" in item.answer("en")
    assert "mobile" in item.answer("en") and "e-mail" in item.answer("en")
    assert "პინკოდ" in item.answer("ka")


@pytest.mark.parametrize("document", [
    None, [], {"items": []}, {"contact": {"phone": "1"}, "items": [{"id": "x"}]},
    {"contact": {"phone": "1", "email": "e", "web": "w"},
     "items": [{"id": "x", "question": {"ka": "ა", "en": "a"}, "answer": {}}]},
])
def test_a_broken_faq_document_is_named(document: object) -> None:
    with pytest.raises(faq.FaqError):
        faq.from_document(document)
