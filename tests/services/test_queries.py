"""What the Slack surfaces read back: the session card's view of the database."""

from kapbot.care.card import Mark, lines
from kapbot.care.values import SessionState
from tests.clinic import PRESCRIBER, THERAPIST, Clinic, accepted


def test_the_card_view_names_who_did_what(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    accepted(clinic.checklist(session))
    view = clinic.services.session_view(session)
    assert view is not None
    marks = {line.title: line.mark for line in lines(view.snapshot, view.now,
                                                      clinic.services.policy)}
    assert marks["Pre-session checklist"] is Mark.MET
    assert marks["Prescriber's dose sign-off"] is Mark.WAITING
    assert set(view.people.values()) == {PRESCRIBER, THERAPIST}


def test_a_completed_session_view_lists_its_follow_ups(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.run_session()
    view = clinic.services.session_view(session)
    assert view is not None
    assert view.snapshot.state is SessionState.COMPLETED
    assert [f.label for f in view.follow_ups] == ["Integration session", "Check-in"]
    assert view.dose_mg == 100


def test_an_unknown_session_has_no_view(clinic: Clinic) -> None:
    assert clinic.services.session_view(404) is None
