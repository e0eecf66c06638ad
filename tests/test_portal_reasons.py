"""Every portal reason code a citizen can meet has a sentence in ka, en and ru."""

from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.portal.reasons import GENERIC, MESSAGES, citizen_message
from tests.portal_fixtures import SPEC_PATH

CITIZEN_CODES = ("bad_credentials", "certificate_expired", "certificate_revoked",
                 "unknown_issuer", "bad_signature", "challenge_expired", "session_expired",
                 "invalid_mobile", "invalid_email", "limit_exceeded", "already_paid",
                 "amount_mismatch", "unknown_item")


def test_every_code_is_one_the_api_document_names() -> None:
    document = SPEC_PATH.read_text(encoding="utf-8")
    for code in MESSAGES:
        assert f"`{code}`" in document or code in document, code


@pytest.mark.parametrize("language", ["ka", "ru"])
def test_every_citizen_code_is_translated(language: str) -> None:
    i18n.reset_cache()
    for code in (*CITIZEN_CODES, "something-new"):
        english = citizen_message(code)
        translated = i18n.translate(language, english)
        assert translated != english, (language, code)


def test_an_unknown_code_asks_for_staff_help() -> None:
    assert citizen_message("no_such_code") == GENERIC
    assert citizen_message("certificate_expired") != GENERIC
