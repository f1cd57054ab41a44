"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 17:31:43.398336
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entry_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry'))
    )
    op.create_table('clinician',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('is_prescriber', sa.Boolean(), nullable=False),
    sa.Column('is_therapist', sa.Boolean(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinician')),
    sa.UniqueConstraint('slack_user_id', name=op.f('uq_clinician_slack_user_id'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('slack_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_message_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('timed_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timed_task')),
    sa.UniqueConstraint('key', name=op.f('uq_timed_task_key'))
    )
    with op.batch_alter_table('timed_task', schema=None) as batch_op:
        batch_op.create_index('ix_timed_task_due', ['state', 'due_at'], unique=False)

    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('prescriber_id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('prescriber_id <> therapist_id', name=op.f('ck_patient_distinct_pair')),
    sa.ForeignKeyConstraint(['prescriber_id'], ['clinician.id'], name=op.f('fk_patient_prescriber_id_clinician')),
    sa.ForeignKeyConstraint(['therapist_id'], ['clinician.id'], name=op.f('fk_patient_therapist_id_clinician')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient')),
    sa.UniqueConstraint('code', name=op.f('uq_patient_code'))
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_prescriber_id'), ['prescriber_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_therapist_id'), ['therapist_id'], unique=False)

    op.create_table('dose_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('prescriber_id', sa.Integer(), nullable=False),
    sa.Column('formulation', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('dose_mg', sa.Integer(), nullable=False),
    sa.Column('max_dose_mg', sa.Integer(), nullable=False),
    sa.Column('sessions_authorised', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('notes', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_dose_plan_patient_id_patient')),
    sa.ForeignKeyConstraint(['prescriber_id'], ['clinician.id'], name=op.f('fk_dose_plan_prescriber_id_clinician')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_plan')),
    sa.UniqueConstraint('patient_id', 'version', name='uq_dose_plan_patient_version')
    )
    with op.batch_alter_table('dose_plan', schema=None) as batch_op:
        batch_op.create_index('uq_dose_plan_one_active', ['patient_id'], unique=True, sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))

    op.create_table('dosing_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('dose_mg', sa.Integer(), nullable=True),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.Column('administered_mg', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.String(), nullable=True),
    sa.CheckConstraint("state IN ('scheduled','in_progress','completed','cancelled','aborted')", name=op.f('ck_dosing_session_known_state')),
    sa.ForeignKeyConstraint(['created_by'], ['clinician.id'], name=op.f('fk_dosing_session_created_by_clinician')),
    sa.ForeignKeyConstraint(['ended_by'], ['clinician.id'], name=op.f('fk_dosing_session_ended_by_clinician')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_dosing_session_patient_id_patient')),
    sa.ForeignKeyConstraint(['plan_id'], ['dose_plan.id'], name=op.f('fk_dosing_session_plan_id_dose_plan')),
    sa.ForeignKeyConstraint(['started_by'], ['clinician.id'], name=op.f('fk_dosing_session_started_by_clinician')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dosing_session'))
    )
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dosing_session_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dosing_session_scheduled_at'), ['scheduled_at'], unique=False)
        batch_op.create_index('uq_dosing_session_one_in_progress', ['patient_id'], unique=True, sqlite_where=sa.text("state = 'in_progress'"), postgresql_where=sa.text("state = 'in_progress'"))

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.Integer(), nullable=True),
    sa.Column('phq9', sa.Integer(), nullable=True),
    sa.Column('gad7', sa.Integer(), nullable=True),
    sa.Column('notes', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['completed_by'], ['clinician.id'], name=op.f('fk_follow_up_completed_by_clinician')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_follow_up_patient_id_patient')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_follow_up_session_id_dosing_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('session_id', 'kind', name='uq_follow_up_session_kind')
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_patient_id'), ['patient_id'], unique=False)

    op.create_table('presence_check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['clinician.id'], name=op.f('fk_presence_check_in_by_id_clinician')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_presence_check_in_session_id_dosing_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_check_in'))
    )
    with op.batch_alter_table('presence_check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_check_in_session_id'), ['session_id'], unique=False)

    op.create_table('presence_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('in_room', sa.Boolean(), nullable=False),
    sa.Column('dose_mg', sa.Integer(), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['clinician.id'], name=op.f('fk_presence_confirmation_by_id_clinician')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_presence_confirmation_session_id_dosing_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_confirmation'))
    )
    with op.batch_alter_table('presence_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_confirmation_session_id'), ['session_id'], unique=False)

    op.create_table('vital_signs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('systolic', sa.Integer(), nullable=False),
    sa.Column('diastolic', sa.Integer(), nullable=False),
    sa.Column('heart_rate', sa.Integer(), nullable=False),
    sa.Column('spo2', sa.Integer(), nullable=False),
    sa.Column('sedation_moaas', sa.Integer(), nullable=True),
    sa.Column('dissociation', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['clinician.id'], name=op.f('fk_vital_signs_by_id_clinician')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_vital_signs_session_id_dosing_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vital_signs'))
    )
    with op.batch_alter_table('vital_signs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vital_signs_session_id'), ['session_id'], unique=False)

    op.create_table('checklist_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('affirmed', sa.JSON(), nullable=False),
    sa.Column('vitals_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['clinician.id'], name=op.f('fk_checklist_response_by_id_clinician')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_checklist_response_session_id_dosing_session')),
    sa.ForeignKeyConstraint(['vitals_id'], ['vital_signs.id'], name=op.f('fk_checklist_response_vitals_id_vital_signs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_response'))
    )
    with op.batch_alter_table('checklist_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_response_session_id'), ['session_id'], unique=False)

    op.create_table('dose_sign_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dose_mg', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['clinician.id'], name=op.f('fk_dose_sign_off_by_id_clinician')),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklist_response.id'], name=op.f('fk_dose_sign_off_checklist_id_checklist_response')),
    sa.ForeignKeyConstraint(['plan_id'], ['dose_plan.id'], name=op.f('fk_dose_sign_off_plan_id_dose_plan')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_dose_sign_off_session_id_dosing_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_sign_off'))
    )
    with op.batch_alter_table('dose_sign_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dose_sign_off_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dose_sign_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dose_sign_off_session_id'))

    op.drop_table('dose_sign_off')
    with op.batch_alter_table('checklist_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_response_session_id'))

    op.drop_table('checklist_response')
    with op.batch_alter_table('vital_signs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vital_signs_session_id'))

    op.drop_table('vital_signs')
    with op.batch_alter_table('presence_confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_confirmation_session_id'))

    op.drop_table('presence_confirmation')
    with op.batch_alter_table('presence_check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_check_in_session_id'))

    op.drop_table('presence_check_in')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_patient_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.drop_index('uq_dosing_session_one_in_progress', sqlite_where=sa.text("state = 'in_progress'"), postgresql_where=sa.text("state = 'in_progress'"))
        batch_op.drop_index(batch_op.f('ix_dosing_session_scheduled_at'))
        batch_op.drop_index(batch_op.f('ix_dosing_session_patient_id'))

    op.drop_table('dosing_session')
    with op.batch_alter_table('dose_plan', schema=None) as batch_op:
        batch_op.drop_index('uq_dose_plan_one_active', sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))

    op.drop_table('dose_plan')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_therapist_id'))
        batch_op.drop_index(batch_op.f('ix_patient_prescriber_id'))

    op.drop_table('patient')
    with op.batch_alter_table('timed_task', schema=None) as batch_op:
        batch_op.drop_index('ix_timed_task_due')

    op.drop_table('timed_task')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_next_attempt_at'))

    op.drop_table('outbox_message')
    op.drop_table('clinician')
    op.drop_table('audit_entry')
