"""Dose plans, through the services: posted by the pair's prescriber, versioned."""

from kapbot.store.models import AuditEntry, DosePlan
from tests.clinic import CODE, OTHER_THERAPIST, PRESCRIBER, THERAPIST, Clinic, plan_form, rows


def test_the_prescriber_posts_a_plan_and_a_new_one_supersedes_it(clinic: Clinic) -> None:
    first = clinic.post_plan()
    second = clinic.post_plan(dose=125)
    plans = {p.id: p for p in rows(clinic.services, DosePlan)}
    assert plans[first.id].superseded_at == clinic.clock.now()
    assert plans[second.id].superseded_at is None
    assert (plans[first.id].version, plans[second.id].version) == (1, 2)


def test_a_therapist_cannot_post_a_plan(clinic: Clinic) -> None:
    outcome = clinic.services.post_plan(THERAPIST, CODE, plan_form())
    assert outcome.reasons == ("Only KAP-0042's prescriber may post a dose plan.",)
    assert rows(clinic.services, DosePlan) == []


def test_an_unknown_patient_is_named(clinic: Clinic) -> None:
    outcome = clinic.services.post_plan(PRESCRIBER, "KAP-9999", plan_form())
    assert outcome.reasons == ("No patient with code KAP-9999.",)
    named = clinic.services.post_plan(PRESCRIBER, "Jane Doe", plan_form())
    assert named.reasons == ("That is not a patient code: codes match ^KAP-[0-9]{4}$ and are "
                             "never names.",)


def test_a_refused_plan_changes_nothing_and_leaves_one_audit_entry(clinic: Clinic) -> None:
    clinic.post_plan()
    before = len(rows(clinic.services, AuditEntry))
    outcome = clinic.services.post_plan(PRESCRIBER, CODE, plan_form(dose="0", route="IV"))
    assert outcome.refused
    [plan] = rows(clinic.services, DosePlan)
    assert plan.superseded_at is None  # the old plan is still the active one
    entries = rows(clinic.services, AuditEntry)
    assert len(entries) == before + 1
    assert entries[-1].outcome == "refused"
    assert entries[-1].reasons == list(outcome.reasons)


def test_plan_notes_never_reach_the_audit_trail(clinic: Clinic) -> None:
    clinic.post_plan(notes="History of panic attacks")
    assert all("panic" not in str(e.reasons) + e.subject for e in rows(clinic.services,
                                                                        AuditEntry))


def test_a_therapist_of_another_patient_is_refused(clinic: Clinic) -> None:
    outcome = clinic.services.post_plan(OTHER_THERAPIST, CODE, plan_form())
    assert outcome.reasons == ("Only KAP-0042's prescriber may post a dose plan.",)
