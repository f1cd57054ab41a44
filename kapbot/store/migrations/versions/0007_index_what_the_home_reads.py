"""index what the App Home reads: open sessions, waiting summaries, open follow-ups

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.create_index('ix_dosing_session_state_scheduled', ['state', 'scheduled_at'],
                              unique=False)
        batch_op.create_index('ix_dosing_session_summary_waiting',
                              ['summary_acknowledged_at', 'ended_at'], unique=False)
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_state_due', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_state_due')
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.drop_index('ix_dosing_session_summary_waiting')
        batch_op.drop_index('ix_dosing_session_state_scheduled')
