"""index sessions by plan

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:27:37.435342
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dosing_session_plan_id'), ['plan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dosing_session_plan_id'))

