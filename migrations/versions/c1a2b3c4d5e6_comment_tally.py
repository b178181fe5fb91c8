"""The consultation's figures from a maintained tally (comment_tally, consultation/tally.py): the
table, filled from the comments already there

Revision ID: c1a2b3c4d5e6
Revises: b3e7c1a9d402
Create Date: 2026-11-25 03:49:30.847537

"""
from alembic import op
import sqlalchemy as sa

import consulta.core.models


# revision identifiers, used by Alembic.
revision = 'c1a2b3c4d5e6'
down_revision = 'b3e7c1a9d402'
branch_labels = None
depends_on = None

# The comments grouped as consulta.consultation.tally.recount() groups them, written out as it is at this
# revision: a migration must keep doing what it did when the key changes later (that takes a migration of
# its own). Grouped outside the subquery: PostgreSQL refuses a correlated EXISTS on ungrouped comment.id.
FILL = """
INSERT INTO comment_tally (cycle_id, target_kind, target_id, state, alignment, hidden_reason, staff, listed,
                           answered, appealed, n)
SELECT cycle_id, target_kind, target_id, state, alignment, hidden_reason, staff, listed, answered, appealed, count(*)
FROM (SELECT cycle_id, target_kind, target_id, state, coalesce(alignment, '') AS alignment,
             coalesce(hidden_reason, '') AS hidden_reason, staff,
             parent_id IS NULL AND campaign_of_id IS NULL AS listed, answer_id IS NOT NULL AS answered,
             state = 'HIDDEN' AND EXISTS (SELECT 1 FROM comment_appeal WHERE comment_appeal.comment_id = comment.id
                                          AND comment_appeal.state = 'PENDING') AS appealed
      FROM comment) AS keyed
GROUP BY cycle_id, target_kind, target_id, state, alignment, hidden_reason, staff, listed, answered, appealed
"""


def upgrade():
    op.create_table('comment_tally',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('alignment', sa.String(length=30), nullable=False),
    sa.Column('hidden_reason', sa.String(length=30), nullable=False),
    sa.Column('staff', sa.Boolean(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('appealed', sa.Boolean(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_comment_tally_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('cycle_id', 'target_kind', 'target_id', 'state', 'alignment', 'hidden_reason', 'staff', 'listed', 'answered', 'appealed', name=op.f('pk_comment_tally'))
    )
    with op.batch_alter_table('comment_tally', schema=None) as batch_op:
        batch_op.create_index('ix_comment_tally_target', ['target_kind', 'target_id'], unique=False)
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table('comment_tally', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_tally_target')

    op.drop_table('comment_tally')
