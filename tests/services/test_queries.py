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


def test_the_summary_view_is_the_sessions_monitoring_record(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.run_session()
    view = clinic.services.summary_view(session)
    assert view is not None
    assert (view.code, view.dose_mg, view.route, view.monitoring_minutes) == (
        "KAP-0042", 100, "sublingual", 125)
    assert [r.phase for r in view.readings] == ["pre_dose"]
    assert view.acknowledged_at is None
    accepted(clinic.services.acknowledge_summary(PRESCRIBER, session))
    acknowledged = clinic.services.summary_view(session)
    assert acknowledged is not None and acknowledged.acknowledged_by == PRESCRIBER
