"""Who works at the clinic, and in which roles."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from kapbot.care import authority
from kapbot.care.values import Actor, Role
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import audit, snapshots
from kapbot.store import models as m

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# A roster file may write several roles in one cell the way spreadsheets and people do:
# "prescriber;admin", "prescriber|admin", "prescriber, admin" or "prescriber admin".
ROLE_SEPARATORS = re.compile(r"[;|,\s]+")
DISPLAY_NAME_MAX = 120


def user_id_reason(slack_user_id: str, label: str = "Slack user ID") -> str | None:
    if not SLACK_USER_ID.fullmatch(slack_user_id):
        return f"{label} {slack_user_id[:32]!r} is not a Slack user ID (like U012AB3CD)."
    return None


def split_roles(text: str) -> list[str]:
    """The roles written in one roster cell, lower-cased, in the order written."""
    return [role.lower() for role in ROLE_SEPARATORS.split(text.strip()) if role]


def _clinician_reasons(slack_user_id: str, roles: Sequence[str], display_name: str
                       ) -> list[str]:
    """Why this person cannot go on the roster with these roles (empty when they can)."""
    reasons = [user_id_reason(slack_user_id)]
    unknown = [r for r in roles if r not in set(Role)]
    if unknown:
        reasons.append(f"Unknown role {', '.join(map(repr, unknown))}: use prescriber, "
                       "therapist or admin.")
    if not roles:
        reasons.append("Give at least one role: prescriber, therapist or admin.")
    if len(display_name) > DISPLAY_NAME_MAX:
        reasons.append(f"Display name is longer than {DISPLAY_NAME_MAX} characters.")
    return [r for r in reasons if r]


@dataclass(frozen=True)
class RosterRow:
    """One clinician as a roster file gives them, with the line they were read from."""

    line: int
    slack_user_id: str
    roles: str  # as written: one or more roles, see ROLE_SEPARATORS
    display_name: str = ""


@dataclass(frozen=True)
class RosterMember:
    slack_user_id: str
    display_name: str
    roles: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class Enrolled:
    """What an import did to one clinician: `change` is new, updated or unchanged."""

    line: int
    slack_user_id: str
    display_name: str
    roles: tuple[str, ...]
    change: str


def roster_problems(rows: Sequence[RosterRow]) -> list[tuple[int, str]]:
    """Every reason these rows cannot be imported, by line, so a file is fixed in one pass."""
    problems: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    for row in rows:
        reasons = _clinician_reasons(row.slack_user_id, split_roles(row.roles),
                                     row.display_name)
        earlier = first_seen.setdefault(row.slack_user_id, row.line)
        if earlier != row.line:
            reasons.append(f"{row.slack_user_id[:32]!r} is already on line {earlier}: list "
                           "each clinician once, with all their roles.")
        problems += [(row.line, reason) for reason in reasons]
    return problems


def _held(row: m.Clinician) -> tuple[str, ...]:
    held = snapshots.roles(row)
    return tuple(role.value for role in Role if role in held)


class RosterService(ServiceBase):
    def add_clinician(self, actor_id: str, slack_user_id: str, roles: Iterable[str],
                      display_name: str = "") -> Outcome:
        """Add a clinician, or give an existing one more roles (and make them active)."""
        wanted = [r.strip().lower() for r in roles]

        def body(tx: Session, actor: Actor) -> Outcome:
            found = [r for r in [authority.admin(actor, "manage the roster")] if r]
            found += _clinician_reasons(slack_user_id, wanted, display_name)
            if found:
                return Outcome.refuse(*found)
            row, _ = self._enrol(tx, slack_user_id, wanted, display_name)
            return Outcome(id=row.id)

        return self._run(actor_id, "add_clinician", f"clinician:{slack_user_id}", body)

    def import_roster(self, actor_id: str, rows: Sequence[RosterRow]) -> Outcome:
        """Enrol every row of a roster file, or none: one bad row refuses the whole file.

        A row adds roles (and makes its clinician active), as `/kap roster add` does; it
        never takes one away, because removing a role must respect the care pairs
        (`remove_role`). Each clinician also gets an `add_clinician` entry in the audit
        chain, so the trail says who gave whom a role however it was given.
        `data["clinicians"]` holds an `Enrolled` per row.
        """

        def body(tx: Session, actor: Actor) -> Outcome:
            found = [r for r in [authority.admin(actor, "import the roster")] if r]
            found += [f"line {line}: {reason}" for line, reason in roster_problems(rows)]
            if not rows:
                found.append("The file lists no clinicians.")
            if found:
                return Outcome.refuse(*found)
            done = []
            for r in rows:
                row, change = self._enrol(tx, r.slack_user_id, split_roles(r.roles),
                                          r.display_name)
                audit.append(tx, at=self.clock.now(), actor=actor_id, action="add_clinician",
                             subject=f"clinician:{r.slack_user_id}")
                done.append(Enrolled(r.line, row.slack_user_id, row.display_name, _held(row),
                                     change))
            return Outcome(data={"clinicians": tuple(done)})

        return self._run(actor_id, "import_roster", f"roster:{len(rows)} rows", body)

    def _enrol(self, tx: Session, slack_user_id: str, roles: Sequence[str],
               display_name: str) -> tuple[m.Clinician, str]:
        """Give these roles (never take any away); say whether the row is new, updated or not."""
        row = tx.exec(select(m.Clinician).where(
            m.Clinician.slack_user_id == slack_user_id)).first()
        before = (_held(row), row.active, row.display_name) if row else None
        if row is None:
            row = m.Clinician(slack_user_id=slack_user_id, created_at=self.clock.now())
        row.is_prescriber |= Role.PRESCRIBER in roles
        row.is_therapist |= Role.THERAPIST in roles
        row.is_admin |= Role.ADMIN in roles
        row.active = True
        row.display_name = display_name or row.display_name
        tx.add(row)
        tx.flush()
        if before is None:
            return row, "new"
        return row, "unchanged" if before == (_held(row), row.active,
                                               row.display_name) else "updated"

    def roster_members(self) -> tuple[RosterMember, ...]:
        """Everyone on the roster, active or not, in the order they joined (a reading)."""
        with self.db.reading() as tx:
            rows = tx.exec(select(m.Clinician).order_by(col(m.Clinician.id))).all()
            return tuple(RosterMember(c.slack_user_id, c.display_name, _held(c), c.active)
                         for c in rows)

    def remove_role(self, actor_id: str, slack_user_id: str, role: str) -> Outcome:
        """Take one role away. A clinician left with none becomes inactive, keeping history.

        A prescriber or therapist who still holds a care pair's seat keeps that role until
        the pair is changed, so no patient is ever left without one.
        """
        wanted = role.strip().lower()

        def body(tx: Session, actor: Actor) -> Outcome:
            reasons = [authority.admin(actor, "manage the roster"), user_id_reason(slack_user_id)]
            if wanted not in set(Role):
                reasons.append(f"Unknown role {wanted!r}: use prescriber, therapist or admin.")
            found = [r for r in reasons if r]
            if found:
                return Outcome.refuse(*found)
            row = tx.exec(select(m.Clinician).where(
                m.Clinician.slack_user_id == slack_user_id)).first()
            if row is None or not getattr(row, f"is_{wanted}"):
                return Outcome.refuse(f"<@{slack_user_id}> does not hold the {wanted} role.")
            seat = {Role.PRESCRIBER: m.Patient.prescriber_id,
                    Role.THERAPIST: m.Patient.therapist_id}.get(Role(wanted))
            if seat is not None:
                codes = tx.exec(select(m.Patient.code).where(seat == row.id)).all()
                if codes:
                    return Outcome.refuse(f"<@{slack_user_id}> is the {wanted} of "
                                          f"{', '.join(sorted(codes))}: change those care pairs "
                                          "first.")
            setattr(row, f"is_{wanted}", False)
            row.active = row.is_prescriber or row.is_therapist or row.is_admin
            tx.add(row)
            return Outcome(id=row.id)

        return self._run(actor_id, "remove_role", f"clinician:{slack_user_id}", body)
