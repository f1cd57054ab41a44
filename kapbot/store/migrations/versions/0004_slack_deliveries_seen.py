"""slack deliveries seen

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:43:32.315969
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_delivery',
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_slack_delivery'))
    )
    with op.batch_alter_table('slack_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_delivery_at'), ['at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('slack_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_delivery_at'))

    op.drop_table('slack_delivery')
