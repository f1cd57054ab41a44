"""Patients, known only by an opaque code, each with a care pair."""

from sqlmodel import Session, select

from kapbot.care import authority
from kapbot.care.values import Actor
from kapbot.services import notify
from kapbot.services.base import SYSTEM_ACTOR, Outcome, ServiceBase
from kapbot.services.roster import user_id_reason
from kapbot.store import models as m
from kapbot.store import snapshots


class PatientService(ServiceBase):
    def add_patient(self, actor_id: str, code: str, prescriber_id: str, therapist_id: str,
                    channel_id: str | None = None) -> Outcome:
        """Create a patient with their care pair: one prescriber and a different therapist."""
        code = code.strip()

        def body(tx: Session, actor: Actor) -> Outcome:
            reasons = [authority.admin(actor, "add a patient")]
            if not self.policy.code_is_valid(code):
                reasons.append(f"The patient code does not match the clinic's pattern "
                               f"{self.policy.patient_code_pattern} (codes are opaque, never "
                               "names).")
            elif snapshots.patient_by_code(tx, code) is not None:
                reasons.append(f"Patient {code} already exists.")
            if prescriber_id == therapist_id:
                reasons.append("The prescriber and the therapist must be two different people.")
            prescriber = self._clinician(tx, prescriber_id, "prescriber", reasons)
            therapist = self._clinician(tx, therapist_id, "therapist", reasons)
            found = [r for r in reasons if r]
            if found or prescriber is None or therapist is None:
                return Outcome.refuse(*found)
            row = m.Patient(code=code, prescriber_id=prescriber, therapist_id=therapist,
                            channel_id=channel_id, created_at=self.clock.now())
            tx.add(row)
            tx.flush()
            assert row.id is not None
            if channel_id is None:
                notify.open_pair_channel(tx, row.id, self.clock.now())
                notify.introduce_pair(tx, row.id, self.clock.now())
            return Outcome(id=row.id)

        return self._run(actor_id, "add_patient", self._patient_subject(code), body)

    @staticmethod
    def _clinician(tx: Session, slack_user_id: str, role: str, reasons: list[str | None]
                   ) -> int | None:
        bad_id = user_id_reason(slack_user_id, f"The {role}'s")
        if bad_id:
            reasons.append(bad_id)
            return None
        row = tx.exec(select(m.Clinician).where(
            m.Clinician.slack_user_id == slack_user_id)).first()
        if row is None or not row.active or not getattr(row, f"is_{role}"):
            reasons.append(f"<@{slack_user_id}> is not an active {role} on the roster.")
            return None
        return row.id

    def record_pair_channel(self, patient_id: int, channel_id: str) -> Outcome:
        """Remember the private channel the delivery worker created for a care pair."""

        def body(tx: Session, actor: Actor) -> Outcome:
            row = tx.get(m.Patient, patient_id)
            if row is None:
                return Outcome.refuse(f"No patient {patient_id}.")
            if row.channel_id not in (None, channel_id):
                return Outcome.refuse("The care pair already has a channel.")
            row.channel_id = channel_id
            tx.add(row)
            return Outcome(id=patient_id)

        return self._run(SYSTEM_ACTOR, "record_pair_channel", f"patient_id:{patient_id}", body)
