"""The tables. Times are UTC-aware (`UTCDateTime`); free clinical text stays in here only.

Annotations here must stay real, not postponed: SQLModel reads them at class creation.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from kapbot.store.types import UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable,
                 index=index)


class Clinician(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str = Field(max_length=32, unique=True)
    display_name: str = Field(default="", max_length=120)
    is_prescriber: bool = False
    is_therapist: bool = False
    is_admin: bool = False
    active: bool = True
    created_at: datetime = utc()


class Patient(SQLModel, table=True):
    __table_args__ = (CheckConstraint("prescriber_id <> therapist_id", name="distinct_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    prescriber_id: int = Field(foreign_key="clinician.id", index=True)
    therapist_id: int = Field(foreign_key="clinician.id", index=True)
    channel_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = utc()


class DosePlan(SQLModel, table=True):
    __tablename__ = "dose_plan"
    __table_args__ = (
        UniqueConstraint("patient_id", "version", name="uq_dose_plan_patient_version"),
        Index("uq_dose_plan_one_active", "patient_id", unique=True,
              sqlite_where=text("superseded_at IS NULL"),
              postgresql_where=text("superseded_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    version: int
    prescriber_id: int = Field(foreign_key="clinician.id")
    formulation: str = Field(max_length=20)
    route: str = Field(max_length=20)
    dose_mg: int
    max_dose_mg: int
    sessions_authorised: int
    valid_until: date
    notes: str = Field(default="", sa_type=String)
    created_at: datetime = utc()
    superseded_at: datetime | None = utc(nullable=True)


class DosingSession(SQLModel, table=True):
    """One supervised dosing session. `state` only changes by compare-and-set."""

    __tablename__ = "dosing_session"
    __table_args__ = (
        Index("uq_dosing_session_one_in_progress", "patient_id", unique=True,
              sqlite_where=text("state = 'in_progress'"),
              postgresql_where=text("state = 'in_progress'")),
        CheckConstraint("state IN ('scheduled','in_progress','completed','cancelled','aborted')",
                        name="known_state"),
        # The App Home reads what is open — the next sessions, the summaries waiting — and
        # these keep it from walking years of past sessions to find them.
        Index("ix_dosing_session_state_scheduled", "state", "scheduled_at"),
        Index("ix_dosing_session_summary_waiting", "summary_acknowledged_at", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    state: str = Field(default="scheduled", max_length=20)
    scheduled_at: datetime = utc(index=True)
    created_by: int = Field(foreign_key="clinician.id")
    created_at: datetime = utc()
    plan_id: int | None = Field(default=None, foreign_key="dose_plan.id", index=True)
    dose_mg: int | None = None
    route: str | None = Field(default=None, max_length=20)
    started_at: datetime | None = utc(nullable=True)
    started_by: int | None = Field(default=None, foreign_key="clinician.id")
    ended_at: datetime | None = utc(nullable=True)
    ended_by: int | None = Field(default=None, foreign_key="clinician.id")
    administered_mg: int | None = None
    end_reason: str | None = Field(default=None, sa_type=String)
    prescriber_notes: str | None = Field(default=None, sa_type=String)
    summary_acknowledged_at: datetime | None = utc(nullable=True)
    summary_acknowledged_by: int | None = Field(default=None, foreign_key="clinician.id")


class ChecklistResponse(SQLModel, table=True):
    """A pre-session or discharge checklist as affirmed; the latest one counts."""

    __tablename__ = "checklist_response"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    kind: str = Field(max_length=20)  # pre_session | discharge
    by_id: int = Field(foreign_key="clinician.id")
    at: datetime = utc()
    affirmed: list[str] = Field(sa_column=Column(JSON, nullable=False))
    vitals_id: int | None = Field(default=None, foreign_key="vital_signs.id")


class DoseSignOff(SQLModel, table=True):
    """The prescriber's sign-off of one dose, against one plan version and one checklist."""

    __tablename__ = "dose_sign_off"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    by_id: int = Field(foreign_key="clinician.id")
    at: datetime = utc()
    dose_mg: int
    plan_id: int = Field(foreign_key="dose_plan.id")
    checklist_id: int = Field(foreign_key="checklist_response.id")


class PresenceConfirmation(SQLModel, table=True):
    """The therapist in the room, with the dose and route read off the dispensed tablets."""

    __tablename__ = "presence_confirmation"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    by_id: int = Field(foreign_key="clinician.id")
    at: datetime = utc()
    in_room: bool
    dose_mg: int
    route: str = Field(max_length=20)


class VitalSigns(SQLModel, table=True):
    __tablename__ = "vital_signs"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    by_id: int = Field(foreign_key="clinician.id")
    at: datetime = utc()
    phase: str = Field(max_length=20)  # pre_dose | during | pre_discharge
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    sedation_moaas: int | None = None
    dissociation: int | None = None


class AdverseEvent(SQLModel, table=True):
    __tablename__ = "adverse_event"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    by_id: int = Field(foreign_key="clinician.id")
    at: datetime = utc()
    description: str = Field(sa_type=String)
    severity: str = Field(max_length=10)  # mild | moderate | severe


class PresenceCheckIn(SQLModel, table=True):
    __tablename__ = "presence_check_in"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    by_id: int = Field(foreign_key="clinician.id")
    at: datetime = utc()


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("session_id", "kind", name="uq_follow_up_session_kind"),
                      Index("ix_follow_up_state_due", "state", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(max_length=40)
    label: str = Field(max_length=60)
    due_at: datetime = utc()
    window_ends_at: datetime = utc()
    state: str = Field(default="open", max_length=20)
    completed_at: datetime | None = utc(nullable=True)
    completed_by: int | None = Field(default=None, foreign_key="clinician.id")
    phq9: int | None = None
    gad7: int | None = None
    notes: str = Field(default="", sa_type=String)


class Escalation(SQLModel, table=True):
    """A missed presence check-in, raised to the prescriber and the on-call channel and
    repeated until someone acknowledges it. One per missed prompt."""

    __table_args__ = (UniqueConstraint("session_id", "check_in",
                                       name="uq_escalation_session_check_in"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dosing_session.id", index=True)
    check_in: int  # which prompt of the session was missed (1 = the first)
    due_at: datetime = utc()  # when the check-in was due
    raised_at: datetime = utc()
    repeats: int = 0  # how many times it has been raised again
    acknowledged_at: datetime | None = utc(nullable=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="clinician.id")


class AuditEntry(SQLModel, table=True):
    """One link of the hash chain. `seq` is assigned under the append lock, gap-free."""

    __tablename__ = "audit_entry"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = utc()
    actor: str = Field(max_length=32)
    action: str = Field(max_length=40)
    subject: str = Field(max_length=60)
    outcome: str = Field(max_length=10)  # accepted | refused
    reasons: list[str] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class OutboxMessage(SQLModel, table=True):
    """An outgoing Slack message, written in the same transaction as the change it announces.

    The row says *what* to tell *whom* (`kind`, `subject_id`, `channel`); the delivery
    worker renders it from the database when it sends, so a card edited three times
    before Slack answers is sent once, current. Delivered in `id` order per channel.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "state", "next_attempt_at"),
                      Index("ix_outbox_message_channel", "channel", "state", "id"),
                      Index("ix_outbox_message_edits", "edits", "state", "sent_at"))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=40)
    subject_id: int | None = None
    channel: str = Field(max_length=80)  # a channel ID, or "@U…" for a direct message
    method: str = Field(default="chat.postMessage", max_length=40)
    edits: str | None = Field(default=None, max_length=120)  # key of the message to update
    state: str = Field(default="pending", max_length=20)  # pending | sent | coalesced | dead
    attempts: int = 0
    next_attempt_at: datetime = utc()
    claimed_by: str | None = Field(default=None, max_length=80)
    last_error: str | None = Field(default=None, max_length=200)
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = utc()
    sent_at: datetime | None = utc(nullable=True)


class TimedTask(SQLModel, table=True):
    """Future work. The row is the truth; a process only holds it under a lease."""

    __tablename__ = "timed_task"
    __table_args__ = (Index("ix_timed_task_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=40)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    due_at: datetime = utc()
    state: str = Field(default="pending", max_length=20)  # pending | claimed | done | cancelled
    claimed_by: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = utc(nullable=True)
    attempts: int = 0
    created_at: datetime = utc()
    done_at: datetime | None = utc(nullable=True)


class SlackDelivery(SQLModel, table=True):
    """A Slack request already handled, so a re-sent copy (X-Slack-Retry-Num) is ignored."""

    __tablename__ = "slack_delivery"

    digest: str = Field(primary_key=True, max_length=64)
    at: datetime = utc(index=True)
