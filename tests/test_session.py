"""The visit state machine, driven without a window and with a fake clock."""

import pytest

from kiosk.session import EndReason, State, Timing, VisitMachine

CITIZEN = {"personal_number": "01001012345", "given_name": "ნინო", "surname": "ბერიძე"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def machine(clock: FakeClock) -> VisitMachine:
    timing = Timing(idle_timeout_s=120, idle_warning_s=30, max_session_s=600, max_extensions=10)
    return VisitMachine(timing, default_language="ka", clock=clock)


def sign_in(machine: VisitMachine, card: str = "card-1") -> None:
    assert machine.card_inserted(card)
    assert machine.card_ready(tries_left=3)
    assert machine.pin_submitted()
    assert machine.authenticated(dict(CITIZEN), offline=False, token="tok")
    assert machine.state == State.HOME


def test_card_login_path_reaches_home(machine: VisitMachine) -> None:
    seen = []
    machine.subscribe(lambda t: seen.append(t.state))
    sign_in(machine)
    assert seen == [State.READING_CARD, State.PIN, State.AUTHENTICATING, State.HOME]
    assert machine.visit.citizen["surname"] == "ბერიძე"


def test_wrong_pin_counts_down_to_blocked(machine: VisitMachine) -> None:
    machine.card_inserted("c")
    machine.card_ready(3)
    for left in (2, 1):
        machine.pin_submitted()
        machine.pin_wrong(left)
        assert machine.state == State.PIN and machine.visit.pin_tries_left == left
        assert machine.reason == "wrong_pin"
    machine.pin_submitted()
    machine.pin_wrong(0)
    assert machine.state == State.PIN_BLOCKED


def test_card_already_blocked_goes_straight_to_blocked_screen(machine: VisitMachine) -> None:
    machine.card_inserted("c")
    machine.card_ready(0)
    assert machine.state == State.PIN_BLOCKED


@pytest.mark.parametrize("way_out", ["logout", "cancel", "card_removed"])
def test_every_way_out_wipes_personal_data(machine: VisitMachine, way_out: str) -> None:
    sign_in(machine)
    machine.select_language("en")
    machine.navigate(State.SERVICE, category_id="family", service_id="birth-certificate-repeat")
    machine.form_completed({"child_name": "ლუკა"})
    kept_citizen, kept_form = machine.visit.citizen, machine.visit.form_values
    transitions = []
    machine.subscribe(transitions.append)
    getattr(machine, way_out)()
    assert machine.state == State.ATTRACT
    assert transitions[-1].wiped
    assert kept_citizen == {} and kept_form == {}, "screens holding references must see them emptied"
    assert machine.visit.citizen == {} and machine.visit.token is None
    assert machine.language == "ka", "the next citizen starts in the default language"


def test_card_removed_at_each_step_ends_the_visit(machine: VisitMachine) -> None:
    steps = [
        lambda m: None,
        lambda m: m.card_ready(3),
        lambda m: (m.card_ready(3), m.pin_submitted()),
    ]
    for prepare in steps:
        machine.card_inserted("c")
        prepare(machine)
        machine.card_removed()
        assert machine.state == State.ATTRACT


def test_password_visit_survives_a_card_removal_event(machine: VisitMachine) -> None:
    machine.start_password_login()
    machine.password_submitted()
    machine.authenticated(dict(CITIZEN), offline=False, token="t")
    assert not machine.card_removed()
    assert machine.state == State.HOME


def test_wrong_password_returns_to_password_screen(machine: VisitMachine) -> None:
    machine.start_password_login()
    machine.password_submitted()
    machine.login_failed("bad_credentials")
    assert machine.state == State.PASSWORD and machine.reason == "bad_credentials"


def test_second_card_never_inherits_first_citizen(machine: VisitMachine) -> None:
    sign_in(machine, "card-1")
    transitions = []
    machine.subscribe(transitions.append)
    machine.card_inserted("card-2")
    assert [t.state for t in transitions] == [State.ATTRACT, State.READING_CARD]
    assert transitions[0].reason == EndReason.NEW_CARD
    assert machine.visit.citizen == {}
    assert machine.visit.card_session_id == "card-2"


def test_idle_warning_then_timeout(machine: VisitMachine, clock: FakeClock) -> None:
    sign_in(machine)
    clock.now += 80
    assert machine.countdown() is None
    clock.now += 15  # 95 s idle: 25 s left, inside the 30 s warning
    warning = machine.countdown()
    assert warning is not None and warning.can_extend and warning.cause == "idle"
    assert 24 <= warning.seconds_left <= 26
    clock.now += 25
    assert machine.tick()
    assert machine.state == State.ATTRACT and machine.reason == EndReason.IDLE_TIMEOUT


def test_extend_at_least_ten_times(machine: VisitMachine, clock: FakeClock) -> None:
    machine.timing = Timing(idle_timeout_s=60, idle_warning_s=20, max_session_s=10_000, max_extensions=10)
    sign_in(machine)
    for _ in range(10):
        clock.now += 45
        assert machine.extend(), "each warning offers continue"
        assert machine.countdown() is None
    clock.now += 45
    warning = machine.countdown()
    assert warning is not None and not warning.can_extend
    assert not machine.extend()


def test_extend_without_warning_does_nothing(machine: VisitMachine) -> None:
    sign_in(machine)
    assert not machine.extend()


def test_whole_visit_cap_cannot_be_extended(machine: VisitMachine, clock: FakeClock) -> None:
    sign_in(machine)
    for _ in range(5):  # keep busy: activity never lets idle fire
        clock.now += 100
        machine.activity()
    clock.now += 80  # 580 s of 600
    warning = machine.countdown()
    assert warning is not None and warning.cause == "session_cap" and not warning.can_extend
    clock.now += 20
    machine.tick()
    assert machine.state == State.ATTRACT and machine.reason == EndReason.SESSION_CAP


def test_submission_is_never_cut_by_a_timeout(machine: VisitMachine, clock: FakeClock) -> None:
    sign_in(machine)
    machine.navigate(State.SERVICE, service_id="s")
    machine.form_completed({"a": "b"})
    machine.confirmed()
    clock.now += 10_000
    assert not machine.tick()
    machine.submission_done({"local_ref": "K-1"})
    assert machine.state == State.RESULT
    machine.tick()
    assert machine.state == State.ATTRACT


def test_events_out_of_order_are_ignored_not_raised(machine: VisitMachine) -> None:
    assert not machine.pin_submitted()
    assert not machine.authenticated(dict(CITIZEN), offline=False, token="x")
    assert not machine.navigate(State.HOME)
    assert machine.state == State.ATTRACT and machine.visit.citizen == {}


def test_navigate_only_to_browsable_states(machine: VisitMachine) -> None:
    sign_in(machine)
    assert not machine.navigate(State.RESULT)
    assert machine.navigate(State.CATEGORY, category_id="fines")
    assert machine.state == State.CATEGORY and machine.visit.category_id == "fines"


def test_out_of_service_blocks_cards_until_back(machine: VisitMachine) -> None:
    machine.out_of_service("no_configuration")
    assert not machine.card_inserted("c")
    assert machine.state == State.OUT_OF_SERVICE
    machine.back_in_service()
    assert machine.state == State.ATTRACT


def test_first_login_asks_for_contact_details(machine: VisitMachine) -> None:
    machine.card_inserted("c")
    machine.card_ready(3)
    machine.pin_submitted()
    machine.authenticated(dict(CITIZEN), offline=False, token="t", first_login=True)
    assert machine.state == State.FIRST_LOGIN
    machine.profile_completed("+995555123456", "nino@example.ge")
    assert machine.state == State.HOME and machine.visit.citizen["mobile"] == "+995555123456"


def test_a_failing_listener_does_not_break_the_machine(machine: VisitMachine) -> None:
    def broken(_):
        raise RuntimeError("screen bug")

    machine.subscribe(broken)
    sign_in(machine)
    assert machine.state == State.HOME


def test_transition_logs_carry_no_personal_data(machine: VisitMachine, caplog) -> None:
    caplog.set_level("INFO")
    sign_in(machine)
    machine.logout()
    text = "\n".join(str(r.__dict__) for r in caplog.records)
    assert "transition" in text
    assert CITIZEN["personal_number"] not in text and CITIZEN["surname"] not in text
