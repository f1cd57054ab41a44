"""Setting up the clinic: the roster, and patients known only by code, each with a care pair."""

from kapbot.services import Services
from kapbot.store.models import AuditEntry, Clinician, Patient
from tests.clinic import (
    ADMIN,
    CODE,
    OTHER_THERAPIST,
    PRESCRIBER,
    THERAPIST,
    Clinic,
    accepted,
    rows,
)


def test_a_bootstrap_admin_builds_the_roster(services: Services) -> None:
    accepted(services.add_clinician(ADMIN, PRESCRIBER, ["prescriber"], "Dr Rowe"))
    accepted(services.add_clinician(ADMIN, PRESCRIBER, ["admin"]))
    [row] = rows(services, Clinician)
    assert (row.is_prescriber, row.is_admin, row.is_therapist, row.display_name) == (
        True, True, False, "Dr Rowe")


def test_only_an_admin_may_manage_the_roster(services: Services) -> None:
    outcome = services.add_clinician(THERAPIST, PRESCRIBER, ["prescriber"])
    assert outcome.reasons == ("Only an administrator may manage the roster.",)
    assert rows(services, Clinician) == []
    [entry] = rows(services, AuditEntry)
    assert (entry.actor, entry.action, entry.outcome) == (THERAPIST, "add_clinician", "refused")


def test_a_roster_entry_needs_a_real_user_id_and_known_roles(services: Services) -> None:
    outcome = services.add_clinician(ADMIN, "bob", ["nurse"])
    assert outcome.reasons == (
        "Slack user ID 'bob' is not a Slack user ID (like U012AB3CD).",
        "Unknown role 'nurse': use prescriber, therapist or admin.",
    )


def test_a_patient_gets_a_care_pair_of_two_different_people(clinic: Clinic) -> None:
    [patient] = rows(clinic.services, Patient)
    assert patient.code == CODE
    assert patient.prescriber_id != patient.therapist_id


def test_the_same_person_cannot_be_prescriber_and_therapist(clinic: Clinic) -> None:
    services = clinic.services
    accepted(services.add_clinician(ADMIN, THERAPIST, ["prescriber"]))
    outcome = services.add_patient(ADMIN, "KAP-0043", THERAPIST, THERAPIST)
    assert outcome.reasons == ("The prescriber and the therapist must be two different people.",)
    assert [p.code for p in rows(services, Patient)] == [CODE]


def test_a_patient_code_must_match_the_clinics_pattern(clinic: Clinic) -> None:
    outcome = clinic.services.add_patient(ADMIN, "Jane Doe", PRESCRIBER, THERAPIST)
    assert outcome.reasons == ("The patient code does not match the clinic's pattern "
                               "^KAP-[0-9]{4}$ (codes are opaque, never names).",)
    entry = rows(clinic.services, AuditEntry)[-1]
    assert "Jane" not in entry.subject + str(entry.reasons)  # a typed name never enters the chain


def test_codes_are_unique_and_roles_are_checked(clinic: Clinic) -> None:
    outcome = clinic.services.add_patient(ADMIN, CODE, OTHER_THERAPIST, THERAPIST)
    assert outcome.reasons == (f"Patient {CODE} already exists.",
                               f"<@{OTHER_THERAPIST}> is not an active prescriber on the roster.")


def test_only_an_admin_may_add_a_patient(clinic: Clinic) -> None:
    outcome = clinic.services.add_patient(PRESCRIBER, "KAP-0043", PRESCRIBER, THERAPIST)
    assert outcome.reasons == ("Only an administrator may add a patient.",)


def test_a_role_is_removed_and_a_clinician_with_none_left_is_inactive(clinic: Clinic) -> None:
    s = clinic.services
    accepted(s.add_clinician(ADMIN, "UNEWADMIN", ["admin", "therapist"]))
    accepted(s.remove_role(ADMIN, "UNEWADMIN", "therapist"))
    accepted(s.remove_role(ADMIN, "UNEWADMIN", "admin"))
    [row] = [c for c in rows(s, Clinician) if c.slack_user_id == "UNEWADMIN"]
    assert (row.is_admin, row.is_therapist, row.active) == (False, False, False)
    assert s.remove_role(ADMIN, "UNEWADMIN", "admin").reasons == (
        "<@UNEWADMIN> does not hold the admin role.",)


def test_a_care_pairs_clinician_keeps_the_role_while_in_the_pair(clinic: Clinic) -> None:
    outcome = clinic.services.remove_role(ADMIN, THERAPIST, "therapist")
    assert outcome.reasons == (f"<@{THERAPIST}> is the therapist of {CODE}: change those care "
                               "pairs first.",)
