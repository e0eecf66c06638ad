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
# Refusals caused by the kiosk (its key, its enrolment, its clock), not by the citizen.
KIOSK_SIDE_CODES = ("kiosk_key_mismatch", "kiosk_not_enrolled", "created_at_in_future")
# What each language must say for those: the request is kept, and staff will help.
KEPT_AND_STAFF = {"en": ("kept safely", "member of staff", "not your fault"),
                  "ka": ("უსაფრთხოდ ინახება", "თანამშრომელს", "ბრალი არ არის"),
                  "ru": ("надёжно хранится", "сотруднику", "не виноваты")}


def test_every_code_is_one_the_api_document_names() -> None:
    document = SPEC_PATH.read_text(encoding="utf-8")
    for code in MESSAGES:
        assert f"`{code}`" in document or code in document, code


@pytest.mark.parametrize("language", ["ka", "ru"])
def test_every_citizen_code_is_translated(language: str) -> None:
    i18n.reset_cache()
    for code in (*CITIZEN_CODES, *KIOSK_SIDE_CODES, "something-new"):
        english = citizen_message(code)
        translated = i18n.translate(language, english)
        assert translated != english, (language, code)


def test_an_unknown_code_asks_for_staff_help() -> None:
    assert citizen_message("no_such_code") == GENERIC
    assert citizen_message("certificate_expired") != GENERIC


@pytest.mark.parametrize("code", KIOSK_SIDE_CODES)
def test_kiosk_side_refusals_say_the_request_is_kept_and_staff_will_help(code: str) -> None:
    i18n.reset_cache()
    english = citizen_message(code)
    # The generic sentence blames nobody but does not say the request is safe.
    assert english != GENERIC
    for language, phrases in KEPT_AND_STAFF.items():
        text = i18n.translate(language, english)
        for phrase in phrases:
            assert phrase in text, (code, language, phrase)


def test_kiosk_side_refusals_each_name_their_own_cause() -> None:
    assert len({citizen_message(code) for code in KIOSK_SIDE_CODES}) == len(KIOSK_SIDE_CODES)
