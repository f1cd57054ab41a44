"""Each change queues what the pair should see, in the same transaction, and nothing more."""

from kapbot.store.models import OutboxMessage
from tests.clinic import ADMIN, DISCHARGE, PRESCRIBER, THERAPIST, Clinic, accepted, rows


def queued(clinic: Clinic, kinds: tuple[str, ...] = ("pair_channel", "pair_intro",
                                                     "session_card", "summary")
           ) -> list[tuple[str, str, str | None, str]]:
    return [(m.kind, m.channel, m.edits, m.method)
            for m in sorted(rows(clinic.services, OutboxMessage), key=lambda m: m.id or 0)
            if m.kind in kinds]


def test_a_new_patient_without_a_channel_gets_one_opened(clinic: Clinic) -> None:
    accepted(clinic.services.add_patient(ADMIN, "KAP-0043", PRESCRIBER, THERAPIST))
    assert queued(clinic)[-2:] == [("pair_channel", "pair:2", None, "conversations.create"),
                                   ("pair_intro", "pair:2", None, "chat.postMessage")]


def test_scheduling_posts_one_card_and_each_step_edits_it(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    refused = clinic.services.sign_off_dose(THERAPIST, session, 100)
    assert refused.refused
    card = f"card:{session}"
    assert queued(clinic) == [
        ("session_card", "pair:1", None, "chat.postMessage"),
        ("session_card", "pair:1", card, "chat.update"),  # checklist
        ("session_card", "pair:1", card, "chat.update"),  # sign-off
        ("session_card", "pair:1", card, "chat.update"),  # presence
    ]


def test_a_new_plan_edits_the_cards_of_scheduled_sessions(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    before = len(queued(clinic))
    clinic.post_plan(dose=125)
    assert queued(clinic)[before:] == [("session_card", "pair:1", f"card:{session}",
                                        "chat.update")]


def test_the_prescriber_gets_the_summary_once_and_its_acknowledgement_edits_it(
        clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.run_session()
    summaries = [q for q in queued(clinic) if q[0] == "summary"]
    assert summaries == [("summary", f"@{PRESCRIBER}", None, "chat.postMessage")]
    accepted(clinic.services.acknowledge_summary(PRESCRIBER, session))
    assert [q for q in queued(clinic) if q[0] == "summary"][-1] == (
        "summary", f"@{PRESCRIBER}", f"summary:{session}", "chat.update")
    assert clinic.services.end_session(THERAPIST, session, DISCHARGE).refused
    assert len([q for q in queued(clinic) if q[0] == "summary"]) == 2


def test_the_pairs_app_homes_follow_each_change(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    accepted(clinic.checklist(session))
    homes = queued(clinic, ("home",))
    assert sorted(h[1] for h in homes) == [f"@{PRESCRIBER}", f"@{THERAPIST}"]
    assert {h[3] for h in homes} == {"views.publish"}
