"""adverse events and summary acknowledgement

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:15:24.172361
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('adverse_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.String(), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['clinician.id'], name=op.f('fk_adverse_event_by_id_clinician')),
    sa.ForeignKeyConstraint(['session_id'], ['dosing_session.id'], name=op.f('fk_adverse_event_session_id_dosing_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_event'))
    )
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_event_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prescriber_notes', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('summary_acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('summary_acknowledged_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_dosing_session_summary_acknowledged_by_clinician'), 'clinician', ['summary_acknowledged_by'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('dosing_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dosing_session_summary_acknowledged_by_clinician'), type_='foreignkey')
        batch_op.drop_column('summary_acknowledged_by')
        batch_op.drop_column('summary_acknowledged_at')
        batch_op.drop_column('prescriber_notes')

    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_event_session_id'))

    op.drop_table('adverse_event')
