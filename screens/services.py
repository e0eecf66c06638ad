"""The service screens: a category's services, a service's form, confirm and result.

Screens read the visit from the controller's machine (`visit.category_id`,
`service_id`, `form_values`, `result`) when they are shown, and act only
through the controller: `navigate`, `service_refusal`, `submit_form`,
`edit_form`, `confirm`, `select_items`, `load_lookup`. Nothing here waits on
the network: slow work runs on the controller's workers and comes back
as a state change or a visit-data event, which the app hops onto Kivy's
main thread. Every screen forgets what it shows in `wipe()`.

Entering a page must answer at once (p95 <= 100 ms, bench/ui_latency.py),
so rows and forms are built once and kept (screens/services_cache.py):
a category's rows per category and language, a service's form per
service, reset to empty on every new choice and in `wipe()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.session import State
from screens.forms import FieldBlock
from screens.keyboard import KioskInput
from screens.payments import PaymentPanel
from screens.screens import KioskScreen
from screens.service_texts import money, reason_text
from screens.services_cache import Lru, WarmUp, draw_once, lay_out_off_screen
from screens.widgets import FEEDBACK_S, Automatable, PressButton

# What the built forms kept may hold in label textures (six to eight forms).
# Textures are most of what a kept form costs, and they differ more than its
# widgets do: a form of fifteen options of three lines each holds 2.8 MB of
# them (screens/services_cache.Lru says why a budget).
FORM_TEXTURES_KEPT_KB = 12_000
ICONS = Path(__file__).parent / "assets" / "icons"


def form_texture_kb(blocks: list[FieldBlock]) -> int:
    """The label textures of a built form, in KB of RGBA pixels; right once it has been laid out."""
    pixels = sum(w.texture_size[0] * w.texture_size[1] for block in blocks
                 for w in block.walk(restrict=True) if isinstance(w, Label))
    return pixels * 4 // 1024


def icon_path(icon: str) -> str:
    """The picture of a category's icon name (the personal page's tiles, a category's page)."""
    path = ICONS / f"{icon}.png"
    return str(path) if path.exists() else str(ICONS / "default.png")


def app() -> Any:
    return App.get_running_app()


def current_service() -> Any:
    """The visit's chosen service, or None (no catalog, or an id the catalog lost)."""
    controller = app().controller
    service_id = controller.machine.visit.service_id
    catalog = controller.catalog
    if catalog is None or not service_id or not catalog.has_service(service_id):
        return None
    return catalog.service(service_id)


class ServiceRow(Automatable, PressButton, BoxLayout):
    """A service in a list: its name, one line about it, and a mark if it needs the internet."""

    automation_kind = "button"
    text = StringProperty("")
    description = StringProperty("")
    mark = StringProperty("")
    service_id = StringProperty("")
    lit = BooleanProperty(False)

    def on_press(self) -> None:
        self.lit = True
        Clock.schedule_once(lambda _dt: setattr(self, "lit", False), FEEDBACK_S)
        app().controller.navigate(State.SERVICE, service_id=self.service_id)

    def show(self, service: Any, language: str) -> None:
        self.service_id = service.id
        self.automation_id = f"service-{service.id}"
        self.text = service.name(language)
        self.description = service.description(language)
        self.mark = app().ui.tr("Needs the internet") if not service.queueable else ""


def fill_service_rows(box: Any, services: list[Any], language: str) -> None:
    """Put ``services`` into ``box`` as rows, reusing rows already there (fast redraws)."""
    rows = [w for w in reversed(box.children) if isinstance(w, ServiceRow)]
    while len(rows) < len(services):
        row = ServiceRow()
        box.add_widget(row)
        rows.append(row)
    for row, service in zip(rows, services, strict=False):
        row.show(service, language)
    for row in rows[len(services):]:
        box.remove_widget(row)


class SubPage(KioskScreen):
    """A screen below the personal page: ``back`` and ``home`` are always there."""

    title = StringProperty("")

    def on_kv_post(self, *_args: Any) -> None:
        app().ui.bind(language=lambda *_: self.relabel() if self.manager and
                      self.manager.current == self.name else None)

    def on_pre_enter(self, *_args: Any) -> None:
        self.relabel()

    def relabel(self) -> None:
        """Draw the screen's texts in the current language."""

    def go_home(self) -> None:
        app().controller.navigate(State.HOME)

    def go_back(self) -> None:
        self.go_home()


class CategoryScreen(SubPage):
    """The services of one category, as rows to tap, under the category's icon and name.

    Rows are built once per category (relabelled when the language changes)
    and kept: entering a category only swaps which rows the list holds. They
    carry catalog texts only, nothing about the citizen. After a start, a new
    catalog or a language change, the categories are built ahead one per
    main-loop turn (`WarmUp`), laid out at the screen's size so their texts
    render once, and drawn once off screen (`draw_once`).
    """

    icon = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self._rows: dict[str, tuple[str, list[ServiceRow]]] = {}  # category -> (language, rows)
        self._catalog: Any = None
        self._shown: tuple[str, str] | None = None
        self._to_draw = False  # rows built ahead, not drawn yet
        self.warm_up = WarmUp()
        super().__init__(**kwargs)  # last: on_kv_post plans the warm-up

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        app().ui.bind(language=lambda *_: self._plan_warm_up())
        # A newer catalog (fetched after the start, or later) makes new rows: built ahead again.
        app().controller.subscribe_catalog(lambda _c: Clock.schedule_once(lambda _dt: self._plan_warm_up()))
        self._plan_warm_up()

    def _plan_warm_up(self) -> None:
        catalog, language = app().controller.catalog, app().ui.language
        ids = [category.id for category in catalog.categories] if catalog is not None else []
        jobs: list[Any] = []
        for c in ids:  # built, then (a main-loop turn later, laid out) drawn once
            jobs += [lambda c=c: self._warm(c, language), self._draw_warmed]
        self.warm_up.restart(jobs)

    def _warm(self, category_id: str, language: str) -> None:
        built = (self._catalog is app().controller.catalog
                 and self._rows.get(category_id, ("", []))[0] == language)
        if self.parent is not None or built:
            return  # on screen (it builds what it shows), or built already
        lay_out_off_screen(self)
        self._show((category_id, language))
        self._to_draw = True

    def _draw_warmed(self) -> None:
        if self._to_draw:
            self._to_draw = False
            draw_once(self)

    def _rows_for(self, category_id: str, language: str) -> list[ServiceRow]:
        """A category's rows in ``language``: built once, relabelled when the language changes.

        One set per category, not one per language: every set holds its
        label textures, and a kiosk whose citizens use all three languages
        would otherwise keep three.
        """
        catalog = app().controller.catalog
        if catalog is not self._catalog:  # a refreshed catalog: its rows are new
            self._rows.clear()
            self._catalog = catalog
        services = catalog.services_in(category_id)
        built_in, rows = self._rows.get(category_id, ("", []))
        if not rows:
            rows = [ServiceRow() for _ in services]
        if built_in != language:
            for row, service in zip(rows, services, strict=True):
                row.show(service, language)
            self._rows[category_id] = (language, rows)
        return rows

    def _show(self, key: tuple[str, str] | None) -> None:
        box = self.ids.rows
        rows = self._rows_for(*key) if key is not None else []
        if key == self._shown and list(reversed(box.children)) == rows:
            return
        box.clear_widgets()
        for row in rows:
            box.add_widget(row)
        self._shown = key

    def relabel(self) -> None:
        controller, language = app().controller, app().ui.language
        category_id = controller.machine.visit.category_id
        catalog = controller.catalog
        if catalog is None or not category_id:
            self._show(None)
            return
        category = catalog.category(category_id)
        self.title = category.name(language)
        self.icon = icon_path(category.icon)
        self._show((category_id, language))
        self.ids.scroll.scroll_y = 1

    def wipe(self) -> None:
        self._show(None)  # the kept rows are the catalog's, not the citizen's


class ServiceScreen(SubPage):
    """A service: refused plainly, or its form, or (payments) the citizen's unpaid items."""

    mode = StringProperty("form")  # form, refused, payment
    refusal_title = StringProperty("")
    refusal_body = StringProperty("")
    notice = StringProperty("")
    description = StringProperty("")  # the service's line from its category's list
    summary = StringProperty("")
    payment_phase = StringProperty("loading")  # the payment panel's, for the kv rule

    def __init__(self, **kwargs: Any) -> None:
        self.blocks: list[FieldBlock] = []
        self._built_for: tuple[str, str] | None = None
        self._forms: Lru[list[FieldBlock]] = Lru(FORM_TEXTURES_KEPT_KB, cost=form_texture_kb)
        self._form_shown: str | None = None  # the kept form's key, measured again once it was drawn
        self._forms_catalog: Any = None
        self._warm_after_visit = False  # a warm-up met a citizen's form: planned again after the visit
        self._refusal = ""
        self._to_draw = False  # a form built ahead, not drawn yet
        self.warm_up = WarmUp()
        super().__init__(**kwargs)  # last: on_kv_post plans the warm-up

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        self.payment = PaymentPanel()
        self.payment.bind(phase=self.setter("payment_phase"))
        self.ids.payment_box.add_widget(self.payment)
        app().controller.subscribe_catalog(lambda _c: Clock.schedule_once(lambda _dt: self._plan_warm_up()))
        self._plan_warm_up()

    def _plan_warm_up(self) -> None:
        """As many forms as the kept widgets hold, built and drawn once before the first citizen.

        The first service of each category, then the second...: which ones a
        kiosk's citizens will want is not known, but the kept forms then take
        the memory they will always take, from the start.
        """
        catalog = app().controller.catalog
        if catalog is None:
            return
        columns = [[s for s in catalog.services_in(c.id) if s.form and s.kind != "lookup_payment"]
                   for c in catalog.categories]
        picked = [column[row] for row in range(max(map(len, columns), default=0))
                  for column in columns if row < len(column)]
        jobs: list[Any] = []
        for service in picked:
            jobs += [lambda service=service: self._warm_form(service), self._draw_warmed]
        self.warm_up.restart(jobs)

    def _warm_form(self, service: Any) -> None:
        if self.parent is not None or self.mode != "form" or self._built_for is not None:
            # On screen, or holding the form a citizen filled (the confirm page's "edit" comes
            # back to it): building here would show them another service's form. Planned
            # again once their visit is wiped.
            self._warm_after_visit = True
            self.warm_up.drop_rest()
            return
        self._forget_older_catalog()  # before `full`: the old catalog's forms count for nothing
        if self._forms.full():
            self.warm_up.drop_rest()
            return
        if service.id not in self._forms:
            lay_out_off_screen(self)
            self._show_form(service)
            self._to_draw = True

    def _forget_older_catalog(self) -> Any:
        """The catalog forms are built from; the kept forms of an older one are dropped first.

        A refreshed catalog may have changed any form's fields, and the old
        forms' widgets and textures (up to the whole budget) would otherwise
        stay until a citizen next opened a form.
        """
        catalog = app().controller.catalog
        if catalog is not self._forms_catalog:
            self._forms.clear()
            self._forms_catalog = catalog
        return catalog

    def _draw_warmed(self) -> None:
        if self._to_draw:
            self._to_draw = False
            draw_once(self)
            self._forms.recost(self._form_shown)

    def on_pre_enter(self, *_args: Any) -> None:
        controller = app().controller
        visit = controller.machine.visit
        service = current_service()
        self.ids.keyboard.hide()
        self._refusal = controller.service_refusal() or ""
        if service is None:
            self._refusal = "service_unavailable"
        if self._refusal:
            self.mode = "refused"
        elif service.kind == "lookup_payment":
            self.mode = "payment"
            self.payment.start()
        else:
            self.mode = "form"
            key = (visit.visit_id, service.id)
            if key != self._built_for or not visit.form_values:
                self._show_form(service)  # a new choice, empty; "edit" from confirm keeps what was typed
                self._built_for = key
        self.relabel()

    def _show_form(self, service: Any) -> None:
        """The service's form with every field empty: built the first time (or ahead, by
        `_warm_form`), then reused."""
        catalog = self._forget_older_catalog()
        blocks = self._forms.get(service.id, lambda: [
            FieldBlock(field, catalog, self._input_focused) for field in service.form])
        self._form_shown = service.id
        for block in blocks:
            block.clear()
        if blocks is not self.blocks:
            box = self.ids.form
            box.clear_widgets()
            for block in blocks:
                box.add_widget(block)
            self.blocks = blocks
        self.summary = ""
        self.ids.scroll.scroll_y = 1

    def _input_focused(self, field: KioskInput) -> None:
        from kiosk.forms import keyboard_for

        self.ids.keyboard.show_for(field, keyboard_for(field.field_type) or "text", app().ui.language)
        # Once the keyboard has taken its place, bring the field above it.
        Clock.schedule_once(lambda _dt: self.ids.scroll.scroll_to(field, animate=False), 0.05)

    def relabel(self) -> None:
        ui, service = app().ui, current_service()
        language = ui.language
        if service is not None:
            self.title = service.name(language)
            self.description = service.description(language)
        if self.mode == "refused":
            self.refusal_title, self.refusal_body = reason_text(self._refusal, language)
            return
        if service is None:
            return
        parts = []
        if service.fee_gel and float(service.fee_gel) > 0:
            parts.append(ui.tr("Fee: {amount}", amount=money(service.fee_gel, language)))
        if service.queueable and not app().controller.status.network_online:
            parts.append(ui.tr("The connection is down. Your request will be kept safely on this "
                               "kiosk and sent as soon as the connection is back."))
        self.notice = "\n".join(parts)
        for block in self.blocks:
            block.relabel(language)
        if self.mode == "payment":
            self.payment.relabel()

    def submit(self) -> None:
        """Hand the values to the controller; its messages go next to their fields."""
        self.ids.keyboard.hide()
        if self.mode == "payment":
            self.payment.submit()
            return
        values = {block.name: block.value() for block in self.blocks}
        errors = app().controller.submit_form(values)
        first = None
        for block in self.blocks:
            block.show_error(errors.get(block.name, ""))
            if first is None and block.name in errors:
                first = block
        self.summary = (errors.get("") or app().ui.tr("Please correct the fields marked in red.")
                        ) if errors else ""
        if first is not None:
            self.ids.scroll.scroll_to(first, animate=False)

    def go_back(self) -> None:
        service = current_service()
        category = app().controller.machine.visit.category_id or (service.category if service else None)
        if category:
            app().controller.navigate(State.CATEGORY, category_id=category)
        else:
            self.go_home()

    def on_leave(self, *_args: Any) -> None:
        self.ids.keyboard.hide()
        self._forms.recost(self._form_shown)  # drawn at its width, in the visit's language

    def wipe(self) -> None:
        for blocks in self._forms.values():  # kept forms keep their fields, never their values
            for block in blocks:
                block.clear()
        self.ids.form.clear_widgets()
        self.blocks = []
        self._built_for = None
        self.mode = "form"  # the forms built ahead go where they show; set again on every entry
        if self._warm_after_visit:
            self._warm_after_visit = False
            Clock.schedule_once(lambda _dt: self._plan_warm_up())
        self.summary = self.notice = self.description = ""
        self.payment.wipe()
        self.ids.keyboard.hide()
