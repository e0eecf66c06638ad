"""What the portal's reason codes mean to a citizen, in words they can act on.

The codes come from docs/portal-api.yaml (`PortalUnauthorised.code`,
`PortalRejected.code`, a declined payment's `reason`). Screens show
`translate(language, citizen_message(code))`; msgids are English and the
`portal` gettext domain holds Georgian and Russian. Every sentence says
what to do next, because "error 401" helps nobody at a kiosk.
"""

from __future__ import annotations

from kiosk.i18n import N_

GENERIC = N_("The portal could not take this request. Please ask a member of staff for help.")

MESSAGES: dict[str, str] = {
    "bad_credentials": N_("The username or password is not correct. Please try again."),
    "certificate_expired": N_(
        "Your ID card has expired. You can renew it at the justice house service desk."),
    "certificate_revoked": N_(
        "This ID card is no longer valid. Please ask at the justice house service desk."),
    "unknown_issuer": N_("This card is not a Georgian ID card, or it cannot be read."),
    "bad_signature": N_("The card could not confirm your identity. Please take it out "
                        "and insert it again."),
    "challenge_expired": N_("The login took too long. Please insert your card again."),
    "session_expired": N_("For your safety you have been logged out. Please log in again."),
    "invalid_mobile": N_("Please enter a Georgian mobile number of 9 digits, starting with 5."),
    "invalid_email": N_("Please enter an e-mail address like name@example.ge."),
    "limit_exceeded": N_("The payment was declined: the amount is above the allowed limit."),
    "already_paid": N_("This item has already been paid."),
    "amount_mismatch": N_("The amount has changed. Please look up your items again."),
    "unknown_item": N_("This item was not found. Please look up your items again."),
    # The kiosk's own trouble (its key, its enrolment, its clock), never the citizen's:
    # the refused request stays on the kiosk as a dead letter until a technician sends
    # it again, so the sentence says it is kept and sends them to staff, not to retry.
    "kiosk_key_mismatch": N_(
        "The portal did not recognise this kiosk. This is not your fault: your request is "
        "kept safely on this kiosk. Please ask a member of staff for help."),
    "kiosk_not_enrolled": N_(
        "This kiosk is not yet registered with the portal. This is not your fault: your "
        "request is kept safely on this kiosk. Please ask a member of staff for help."),
    "created_at_in_future": N_(
        "The clock on this kiosk is wrong, so the portal could not take your request yet. "
        "This is not your fault: your request is kept safely on this kiosk. Please ask a "
        "member of staff for help."),
}


def citizen_message(code: str) -> str:
    """The msgid to show for a reason code; unknown codes get the ask-for-help sentence."""
    return MESSAGES.get(code, GENERIC)
