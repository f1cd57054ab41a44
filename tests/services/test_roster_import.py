"""The clinic's roster arrives as a file: every row is enrolled, or none is."""

import pytest

from kapbot.services import Services
from kapbot.services.roster import RosterRow, split_roles
from kapbot.store.models import AuditEntry, Clinician
from tests.clinic import ADMIN, PRESCRIBER, THERAPIST, Clinic, accepted, rows

NEW_PRESCRIBER, NEW_THERAPIST, NEW_ADMIN = "U012AB3CD", "U045EF6GH", "W0MANAGER"


def _roles(row: Clinician) -> tuple[bool, bool, bool]:
    return row.is_prescriber, row.is_therapist, row.is_admin


@pytest.mark.parametrize(("cell", "roles"), [
    ("prescriber", ["prescriber"]),
    ("prescriber;admin", ["prescriber", "admin"]),
    ("prescriber | admin", ["prescriber", "admin"]),
    ("Therapist, Admin", ["therapist", "admin"]),
    ("  therapist   admin ", ["therapist", "admin"]),
    ("therapist;;", ["therapist"]),
    ("", []),
])
def test_a_roster_cell_may_separate_roles_the_way_people_write_them(cell: str,
                                                                     roles: list[str]) -> None:
    assert split_roles(cell) == roles


def test_an_administrator_enrols_the_whole_clinic_from_one_file(services: Services) -> None:
    outcome = accepted(services.import_roster(ADMIN, [
        RosterRow(2, NEW_PRESCRIBER, "prescriber;admin", "Dr Rowe"),
        RosterRow(3, NEW_THERAPIST, "therapist", "Sam Lee"),
        RosterRow(5, NEW_ADMIN, "ADMIN", ""),
    ]))

    enrolled = {c.slack_user_id: c for c in rows(services, Clinician)}
    assert _roles(enrolled[NEW_PRESCRIBER]) == (True, False, True)
    assert _roles(enrolled[NEW_THERAPIST]) == (False, True, False)
    assert _roles(enrolled[NEW_ADMIN]) == (False, False, True)
    assert enrolled[NEW_PRESCRIBER].display_name == "Dr Rowe"
    assert all(c.active for c in enrolled.values())
    assert [(e.line, e.slack_user_id, e.roles, e.change) for e in outcome.data["clinicians"]] == [
        (2, NEW_PRESCRIBER, ("prescriber", "admin"), "new"),
        (3, NEW_THERAPIST, ("therapist",), "new"),
        (5, NEW_ADMIN, ("admin",), "new")]


def test_the_audit_trail_names_each_clinician_the_import_enrolled(services: Services) -> None:
    accepted(services.import_roster(ADMIN, [RosterRow(2, NEW_PRESCRIBER, "prescriber"),
                                            RosterRow(3, NEW_THERAPIST, "therapist")]))

    trail = [(e.actor, e.action, e.subject, e.outcome) for e in rows(services, AuditEntry)]
    assert trail == [
        (ADMIN, "add_clinician", f"clinician:{NEW_PRESCRIBER}", "accepted"),
        (ADMIN, "add_clinician", f"clinician:{NEW_THERAPIST}", "accepted"),
        (ADMIN, "import_roster", "roster:2 rows", "accepted")]


def test_an_import_adds_roles_and_never_takes_one_away(clinic: Clinic) -> None:
    services = clinic.services
    accepted(services.remove_role(ADMIN, "UOTHERTHR", "therapist"))  # now inactive

    first = accepted(services.import_roster(ADMIN, [
        RosterRow(2, PRESCRIBER, "admin", ""),
        RosterRow(3, THERAPIST, "therapist", "Sam Lee"),
        RosterRow(4, "UOTHERTHR", "therapist", "Ari Chen")]))
    again = accepted(services.import_roster(ADMIN, [RosterRow(2, PRESCRIBER, "admin", "")]))

    people = {c.slack_user_id: c for c in rows(services, Clinician)}
    assert _roles(people[PRESCRIBER]) == (True, False, True)  # still a prescriber
    assert people[PRESCRIBER].display_name == "Dr Rowe"  # an empty name keeps the old one
    assert people["UOTHERTHR"].active
    assert [e.change for e in first.data["clinicians"]] == ["updated", "unchanged", "updated"]
    assert [e.change for e in again.data["clinicians"]] == ["unchanged"]


def test_one_bad_row_refuses_the_whole_file_naming_every_line(services: Services) -> None:
    outcome = services.import_roster(ADMIN, [
        RosterRow(2, NEW_PRESCRIBER, "prescriber", "Dr Rowe"),
        RosterRow(3, NEW_THERAPIST, "therapist; nurse", "Sam Lee"),
        RosterRow(4, "bob", "therapist", "Bob"),
        RosterRow(5, NEW_ADMIN, "", "Mo"),
        RosterRow(7, NEW_PRESCRIBER, "admin", "Dr Rowe again"),
        RosterRow(8, "U0LONGNAME", "therapist", "x" * 121),
    ])

    assert outcome.reasons == (
        "line 3: Unknown role 'nurse': use prescriber, therapist or admin.",
        "line 4: Slack user ID 'bob' is not a Slack user ID (like U012AB3CD).",
        "line 5: Give at least one role: prescriber, therapist or admin.",
        f"line 7: '{NEW_PRESCRIBER}' is already on line 2: list each clinician once, with all "
        "their roles.",
        "line 8: Display name is longer than 120 characters.")
    assert rows(services, Clinician) == []
    [entry] = rows(services, AuditEntry)
    assert (entry.action, entry.outcome, tuple(entry.reasons)) == (
        "import_roster", "refused", outcome.reasons)


def test_only_an_administrator_may_import_the_roster(clinic: Clinic) -> None:
    services = clinic.services
    before = rows(services, Clinician)

    outcome = services.import_roster(THERAPIST, [RosterRow(2, THERAPIST, "admin", "")])

    assert outcome.reasons == ("Only an administrator may import the roster.",)
    assert rows(services, Clinician) == before


def test_a_file_of_no_clinicians_is_refused(services: Services) -> None:
    assert services.import_roster(ADMIN, []).reasons == ("The file lists no clinicians.",)


def test_the_roster_lists_everyone_with_their_roles_active_or_not(clinic: Clinic) -> None:
    services = clinic.services
    accepted(services.remove_role(ADMIN, "UOTHERTHR", "therapist"))

    members = services.roster_members()

    assert [(c.slack_user_id, c.display_name, c.roles, c.active) for c in members] == [
        (PRESCRIBER, "Dr Rowe", ("prescriber",), True),
        (THERAPIST, "Sam Lee", ("therapist",), True),
        ("UOTHERTHR", "Ari Chen", (), False)]
