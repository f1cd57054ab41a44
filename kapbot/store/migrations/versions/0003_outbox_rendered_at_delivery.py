"""outbox rendered at delivery

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:17:26.580109
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edits', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column('slack_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbox_message_next_attempt_at'))
        batch_op.create_index('ix_outbox_message_channel', ['channel', 'state', 'id'], unique=False)
        batch_op.create_index('ix_outbox_message_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.drop_column('payload')



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=False))
        batch_op.drop_index('ix_outbox_message_due')
        batch_op.drop_index('ix_outbox_message_channel')
        batch_op.create_index(batch_op.f('ix_outbox_message_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.drop_column('slack_channel')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('edits')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('kind')

