"""Sentences the service screens choose by a reason code, and how money reads.

A refusal or a failed submission arrives as a code (`service_refusal()`,
`machine.reason`, a lookup's error, a declined payment's reason); the
citizen must read what happened and what to do instead, never the code.
Portal codes (a payment's `limit_exceeded`...) keep the portal's own
wording (`kiosk.portal.reasons`).
"""

from __future__ import annotations

from kiosk.i18n import N_, translate
from kiosk.portal.reasons import MESSAGES as PORTAL_MESSAGES
from kiosk.portal.reasons import citizen_message

# reason -> (title, what to do)
REASONS: dict[str, tuple[str, str]] = {
    "online_only_offline": (
        N_("This service needs the internet"),
        N_("The connection to the citizen portal is down right now, and this service cannot be "
           "done without it. Please try again later today, or go to the counter: a staff member "
           "will help you."),
    ),
    "disk_full": (
        N_("This kiosk cannot take requests right now"),
        N_("The kiosk cannot store new requests at the moment. Nothing was lost. Please use "
           "another kiosk or go to the counter."),
    ),
    "store_failed": (
        N_("Your request could not be saved"),
        N_("Nothing was sent. Please try again, or go to the counter."),
    ),
    "nothing_selected": (
        N_("Nothing is selected"),
        N_("Choose at least one item to pay."),
    ),
    "portal_error": (
        N_("The portal did not answer"),
        N_("Nothing was sent and nothing was paid. Please try again in a few minutes, "
           "or go to the counter."),
    ),
    "service_unavailable": (
        N_("This service is not available here now"),
        N_("Please go to the counter; a staff member will help you."),
    ),
}


def reason_text(reason: str, language: str) -> tuple[str, str]:
    """(title, body) in ``language`` for a refusal or failure code; never the code itself."""
    if reason in REASONS:
        title, body = REASONS[reason]
        return translate(language, title), translate(language, body)
    title = N_("This could not be done")
    return translate(language, title), translate(language, citizen_message(reason))


def is_portal_reason(reason: str) -> bool:
    return reason in PORTAL_MESSAGES


def money(amount: object, language: str) -> str:
    """An amount in lari as words a citizen reads ("12.50 GEL"; the font has no ₾ sign)."""
    try:
        text = f"{float(str(amount)):.2f}"
    except ValueError:
        text = str(amount)
    return translate(language, N_("{amount} GEL"), amount=text)


def shown_value(text: str, language: str) -> str:
    """`display_value` text with the lari sign spelt out (the kiosk font cannot draw it)."""
    if text.endswith(" ₾"):
        return money(text[:-2], language)
    return text
