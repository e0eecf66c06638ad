"""Paying fines, tax debt and utility bills: the citizen's unpaid items, chosen by tapping.

The items come from the portal (`controller.load_lookup()`, on a worker);
until they arrive the panel shows a turning arc, and a lookup error is a
plain sentence, never a code. The chosen ids go to
`controller.select_items`, which moves the visit on to CONFIRM. A payment
is never queued: without the portal the service is refused before this
panel is shown.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.session import State
from screens.forms import OptionButton
from screens.service_texts import money, reason_text


def item_text(item: dict[str, Any], language: str) -> str:
    """One unpaid item in the citizen's language: what, from whom, until when, how much."""
    ui = App.get_running_app().ui
    description = item.get("description", "") if language == "ka" else (
        item.get("description_en") or item.get("description", ""))
    lines = [str(description)]
    if item.get("issuer"):
        lines.append(str(item["issuer"]))
    if item.get("due_date"):
        lines.append(ui.tr("Due: {date}", date=_date(str(item["due_date"]))))
    lines.append(money(item.get("amount_gel", "0"), language))
    return "\n".join(lines)


def _date(iso: str) -> str:
    parts = iso.split("-")
    return ".".join(reversed(parts)) if len(parts) == 3 else iso


def amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("0")


class PaymentPanel(BoxLayout):
    """The service screen's body for a lookup_payment service."""

    phase = StringProperty("loading")  # loading, error, empty, items
    message = StringProperty("")
    total_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options: list[OptionButton] = []
        self._error = ""
        controller = App.get_running_app().controller
        controller.subscribe_visit_data(
            lambda key: Clock.schedule_once(lambda _dt: self._arrived(key)))

    def start(self) -> None:
        """Ask the portal for the items (the answer arrives as a visit-data event)."""
        self.wipe()
        self.phase = "loading"
        self.ids.spinner.running = True
        App.get_running_app().controller.load_lookup()

    def _arrived(self, key: str) -> None:
        controller = App.get_running_app().controller
        if key != "lookup" or controller.machine.state != State.SERVICE or self.phase != "loading":
            return
        self.ids.spinner.running = False
        data = controller.visit_data
        items = data.get("lookup")
        if items is None:
            self._error = str(data.get("lookup_error") or "portal_error")
            self.phase = "error"
        else:
            self.phase = "items" if items else "empty"
            self._show_items(items)
        self.relabel()

    def _show_items(self, items: list[dict[str, Any]]) -> None:
        box = self.ids.item_list
        box.clear_widgets()
        self.options = []
        for item in items:
            option = OptionButton(value=item, automation_id=f"item-{item.get('id')}")
            option.bind(on_press=self._toggled)
            self.options.append(option)
            box.add_widget(option)

    def _toggled(self, option: OptionButton) -> None:
        option.selected = not option.selected
        self.relabel()

    def relabel(self) -> None:
        ui = App.get_running_app().ui
        language = ui.language
        if self.phase == "error":
            title, body = reason_text(self._error, language)
            self.message = f"{title}\n{body}"
        elif self.phase == "empty":
            self.message = ui.tr("You have nothing to pay here. Good news!")
        elif self.phase == "loading":
            self.message = ui.tr("Looking up what you have to pay…")
        else:
            self.message = ui.tr("Tap the items you want to pay now.")
        for option in self.options:
            option.caption = item_text(option.value, language)
        chosen = [o.value for o in self.options if o.selected]
        service = _service()
        fee = amount(service.fee_gel if service is not None and service.fee_gel else "0")
        subtotal = sum((amount(i.get("amount_gel")) for i in chosen), Decimal("0"))
        if not chosen:
            self.total_text = ui.tr("Nothing selected yet.") if self.phase == "items" else ""
        else:
            self.total_text = ui.tr("Selected: {count}. To pay: {total} (fee {fee})",
                                    count=len(chosen), total=money(subtotal + fee, language),
                                    fee=money(fee, language))

    def submit(self) -> None:
        chosen = [str(o.value.get("id")) for o in self.options if o.selected]
        if not chosen:
            self.total_text = App.get_running_app().ui.tr("Choose at least one item to pay.")
            return
        App.get_running_app().controller.select_items(chosen)

    def wipe(self) -> None:
        self.ids.item_list.clear_widgets()
        self.options = []
        self.message = self.total_text = ""
        self._error = ""
        self.phase = "loading"
        self.ids.spinner.running = False


def _service() -> Any:
    from screens.services import current_service

    return current_service()
