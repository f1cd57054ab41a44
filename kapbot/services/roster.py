"""Who works at the clinic, and in which roles."""

import re
from collections.abc import Iterable

from sqlmodel import Session, select

from kapbot.care import authority
from kapbot.care.values import Actor, Role
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import models as m

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def user_id_reason(slack_user_id: str, label: str = "Slack user ID") -> str | None:
    if not SLACK_USER_ID.fullmatch(slack_user_id):
        return f"{label} {slack_user_id[:32]!r} is not a Slack user ID (like U012AB3CD)."
    return None


class RosterService(ServiceBase):
    def add_clinician(self, actor_id: str, slack_user_id: str, roles: Iterable[str],
                      display_name: str = "") -> Outcome:
        """Add a clinician, or give an existing one more roles (and make them active)."""
        wanted = [r.strip().lower() for r in roles]

        def body(tx: Session, actor: Actor) -> Outcome:
            reasons = [authority.admin(actor, "manage the roster"), user_id_reason(slack_user_id)]
            unknown = [r for r in wanted if r not in set(Role)]
            if unknown:
                reasons.append(f"Unknown role {', '.join(map(repr, unknown))}: use prescriber, "
                               "therapist or admin.")
            if not wanted:
                reasons.append("Give at least one role: prescriber, therapist or admin.")
            if len(display_name) > 120:
                reasons.append("Display name is longer than 120 characters.")
            found = [r for r in reasons if r]
            if found:
                return Outcome.refuse(*found)
            row = tx.exec(select(m.Clinician).where(
                m.Clinician.slack_user_id == slack_user_id)).first()
            if row is None:
                row = m.Clinician(slack_user_id=slack_user_id, created_at=self.clock.now())
            row.is_prescriber |= Role.PRESCRIBER in wanted
            row.is_therapist |= Role.THERAPIST in wanted
            row.is_admin |= Role.ADMIN in wanted
            row.active = True
            row.display_name = display_name or row.display_name
            tx.add(row)
            tx.flush()
            return Outcome(id=row.id)

        return self._run(actor_id, "add_clinician", f"clinician:{slack_user_id}", body)

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
