"""The App Home's view of the clinic: what concerns this clinician now."""

from kapbot.care.home import WaitingKind
from tests.clinic import ADMIN, PRESCRIBER, THERAPIST, Clinic, accepted


def test_the_prescriber_sees_the_sign_off_waiting_on_them(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    accepted(clinic.checklist(session))
    view = clinic.services.home_view(PRESCRIBER)
    assert [(w.kind, w.session_id) for w in view.waiting] == [(WaitingKind.SIGN_OFF, session)]
    [upcoming] = view.next_sessions.items
    assert upcoming.met == 4 and upcoming.waiting_on == (PRESCRIBER, THERAPIST)


def test_the_therapist_sees_the_checklist_and_presence_waiting(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    kinds = [w.kind for w in clinic.services.home_view(THERAPIST).waiting]
    assert kinds == [WaitingKind.CHECKLIST, WaitingKind.PRESENCE]
    assert clinic.services.home_view(THERAPIST).next_sessions.items[0].session_id == session


def test_summaries_and_follow_ups_wait_until_done(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.run_session()
    assert [s.session_id for s in clinic.services.home_view(PRESCRIBER).summaries.items] == [
        session]
    assert [f.label for f in clinic.services.home_view(THERAPIST).follow_ups.items] == [
        "Integration session", "Check-in"]
    accepted(clinic.services.acknowledge_summary(PRESCRIBER, session))
    assert clinic.services.home_view(PRESCRIBER).summaries.total == 0


def test_only_admins_see_the_roster(clinic: Clinic) -> None:
    assert len(clinic.services.home_view(ADMIN).roster) == 3
    assert clinic.services.home_view(PRESCRIBER).roster == ()
