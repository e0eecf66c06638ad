"""Confirm (exactly what will be sent) and result (what happened, the receipt, the QR code).

Confirm shows each field's label and its value as the portal will get it
(`kiosk.forms.display_value`), the fee, and whether it goes now or waits
for the network; if the submission bounced back (`machine.reason`), why,
in words. Result says in plain words whether the request reached the
portal or waits on this kiosk, gives the references, a QR code of the
tracking address (qrcode -> PNG -> texture), and the receipt: printed, or
shown right here when the printer could not print it.
"""

from __future__ import annotations

import io
from typing import Any

from kivy.app import App
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

from kiosk.forms import display_value
from kiosk.i18n import N_
from kiosk.session import State
from screens.payments import amount, item_text
from screens.service_texts import money, reason_text, shown_value
from screens.services import SubPage, current_service
from screens.widgets import Automatable


def png_texture(data: bytes) -> Texture:
    """A Kivy texture from PNG bytes (drawn with sharp pixels: QR codes and receipts)."""
    texture = CoreImage(io.BytesIO(data), ext="png").texture
    texture.mag_filter = "nearest"
    return texture


def qr_png(text: str) -> bytes:
    import qrcode

    code = qrcode.QRCode(border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


class KioskImage(Automatable, Image):
    """A picture the automation driver reports (the QR code, a receipt shown on screen)."""

    automation_kind = "image"


class ConfirmRow(BoxLayout):
    """A label and its value, as they will be sent."""

    label = StringProperty("")
    value = StringProperty("")
    row_id = StringProperty("")


class ConfirmScreen(SubPage):
    """Exactly what will be sent, the fee, now-or-later, and confirm / edit.

    Its rows are kept and refilled on every entry instead of rebuilt (a page
    must appear at once); `wipe()` empties them, as they hold the citizen's values.
    """

    delivery = StringProperty("")
    problem = StringProperty("")
    paying = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kept: list[ConfirmRow] = []

    def _show_rows(self, rows: list[tuple[str, str, str]]) -> None:
        """(label, value, row id) per row, in kept ConfirmRows; the spare ones are emptied."""
        while len(self._kept) < len(rows):
            self._kept.append(ConfirmRow())
        for row, (label, value, row_id) in zip(self._kept, rows, strict=False):
            row.label, row.value, row.row_id = label, value, row_id
        for row in self._kept[len(rows):]:
            row.label = row.value = row.row_id = ""
        shown, box = self._kept[:len(rows)], self.ids.rows
        if list(reversed(box.children)) != shown:
            box.clear_widgets()
            for row in shown:
                box.add_widget(row)

    def relabel(self) -> None:
        controller, ui = App.get_running_app().controller, App.get_running_app().ui
        language, service = ui.language, current_service()
        if service is None:
            self._show_rows([])
            return
        self.title = service.name(language)
        self.paying = service.kind == "lookup_payment"
        values = controller.machine.visit.form_values
        if service.kind == "lookup_payment":
            self._show_rows(self._payment_rows(values, language))
        else:
            rows = []
            for field in service.form:
                if field.name in values:
                    text = display_value(field, values[field.name], language, controller.catalog)
                    rows.append((field.label_text(language), shown_value(text, language),
                                 f"confirm-{field.name}"))
            if service.fee_gel and amount(service.fee_gel) > 0:
                rows.append((ui.tr("Fee"), money(service.fee_gel, language), "confirm-fee"))
            self._show_rows(rows)
        online = controller.status.network_online and not controller.machine.visit.offline
        if service.kind == "lookup_payment":
            self.delivery = ui.tr("The payment is made now, through the citizen portal.")
        elif online:
            self.delivery = ui.tr("Your request will be sent to the citizen portal now.")
        else:
            self.delivery = ui.tr("The connection is down: your request will be kept safely on this "
                                  "kiosk and sent as soon as the connection is back.")
        reason = controller.machine.reason if controller.machine.state == State.CONFIRM else ""
        self.problem = "\n".join(reason_text(reason, language)) if reason else ""

    def _payment_rows(self, values: dict[str, Any], language: str) -> list[tuple[str, str, str]]:
        ui = App.get_running_app().ui
        chosen = set(values.get("item_ids", []))
        items = [i for i in App.get_running_app().controller.visit_data.get("lookup", [])
                 if i.get("id") in chosen]
        rows = [(item_text(item, language).rsplit("\n", 1)[0], money(item.get("amount_gel"), language),
                 f"confirm-item-{item.get('id')}") for item in items]
        service = current_service()
        fee = amount(service.fee_gel if service is not None and service.fee_gel else "0")
        total = sum((amount(i.get("amount_gel")) for i in items), fee)
        rows.append((ui.tr("Fee"), money(fee, language), "confirm-fee"))
        rows.append((ui.tr("Total to pay"), money(total, language), "confirm-total"))
        return rows

    def confirm(self) -> None:
        App.get_running_app().controller.confirm()

    def edit(self) -> None:
        App.get_running_app().controller.edit_form()

    def go_back(self) -> None:
        self.edit()

    def wipe(self) -> None:
        self._show_rows([])
        self.problem = self.delivery = ""


STATUS_TEXTS = {
    "delivered": (N_("Your request has reached the citizen portal"),
                  N_("The agency will now deal with it. You can follow it on my.gov.ge with the "
                     "reference below, or scan the code with your phone.")),
    "queued": (N_("Your request is saved and waiting to be sent"),
               N_("The connection is down right now. Your request is kept safely on this kiosk and "
                  "will be sent automatically as soon as the connection is back. You do not need "
                  "to come back.")),
    "payment_approved": (N_("Your payment was accepted"),
                         N_("Thank you. The payment has been made.")),
    "payment_declined": (N_("Your payment was declined"),
                         N_("Nothing was paid.")),
}


class ResultScreen(SubPage):
    """What happened to the request, its references, the QR code and the receipt."""

    heading = StringProperty("")
    body = StringProperty("")
    references = StringProperty("")
    receipt_note = StringProperty("")
    status = StringProperty("")
    qr = ObjectProperty(None, allownone=True)
    receipt = ObjectProperty(None, allownone=True)

    def on_pre_enter(self, *args: Any) -> None:
        result = App.get_running_app().controller.machine.visit.result
        url = result.get("tracking_url")
        self.qr = png_texture(qr_png(url)) if url else None
        png = result.get("receipt_png")
        self.receipt = png_texture(png) if png else None
        super().on_pre_enter(*args)

    def relabel(self) -> None:
        controller, ui = App.get_running_app().controller, App.get_running_app().ui
        result, language = controller.machine.visit.result, ui.language
        service = current_service()
        self.title = service.name(language) if service is not None else ""
        self.status = str(result.get("status", ""))
        heading, body = STATUS_TEXTS.get(self.status, STATUS_TEXTS["queued"])
        self.heading, self.body = ui.tr(heading), ui.tr(body)
        if self.status == "payment_declined" and result.get("reason"):
            self.body += "\n" + reason_text(str(result["reason"]), language)[1]
        refs = [ui.tr("Kiosk reference: {ref}", ref=result.get("local_ref", ""))]
        if result.get("portal_ref"):
            refs.append(ui.tr("Portal reference: {ref}", ref=result["portal_ref"]))
        self.references = "\n".join(refs)
        if result.get("receipt") == "printed":
            self.receipt_note = ui.tr("Take your receipt from the printer below the screen.")
        else:
            self.receipt_note = ui.tr("The printer could not print your receipt, so here it is on the "
                                      "screen. You can take a photo of it, or ask at the counter for "
                                      "a printed copy.")

    def logout(self) -> None:
        App.get_running_app().controller.logout()

    def wipe(self) -> None:
        self.qr = self.receipt = None
        self.heading = self.body = self.references = self.receipt_note = self.status = ""
