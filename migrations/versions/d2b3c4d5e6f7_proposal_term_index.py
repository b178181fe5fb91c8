"""The proposals' term index (proposal_term) for search and "similar proposals", filled from the
proposals already there; the folded search column it replaces goes

Revision ID: d2b3c4d5e6f7
Revises: c1a2b3c4d5e6
Create Date: 2026-11-25 04:10:00

"""
from alembic import op
import sqlalchemy as sa

import consulta.core.models


# revision identifiers, used by Alembic.
revision = 'd2b3c4d5e6f7'
down_revision = 'c1a2b3c4d5e6'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.create_table('proposal_term',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=40).with_variant(sa.String(length=40, collation='C'), 'postgresql'),
              nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_term_proposal_id_proposal'))
    )
    op.create_index('ix_proposal_term_cycle_term', 'proposal_term', ['cycle_id', 'term', 'proposal_id', 'weight'],
                    unique=True)
    _fill()
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_column('search_text')


def _fill():
    """Every proposal's rows, made by the function the service writes them with, a batch at a time."""
    from consulta.proposals.services import index_rows

    bind = op.get_bind()
    proposal = sa.table('proposal', *(sa.column(name) for name in (
        'id', 'cycle_id', 'reference', 'title', 'problem', 'body', 'entity_name', 'title_terms', 'body_terms')))
    term = sa.table('proposal_term', sa.column('cycle_id'), sa.column('term'), sa.column('proposal_id'),
                    sa.column('weight'))
    last = 0
    while True:
        rows = bind.execute(sa.select(proposal).where(proposal.c.id > last).order_by(proposal.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        bind.execute(sa.insert(term), [entry for row in rows for entry in index_rows(row)])
        last = rows[-1].id


def downgrade():
    from consulta.proposals.similarity import fold

    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    bind = op.get_bind()
    proposal = sa.table('proposal', *(sa.column(name) for name in (
        'id', 'reference', 'title', 'problem', 'body', 'entity_name', 'search_text')))
    for row in bind.execute(sa.select(proposal)).all():
        text = " ".join(filter(None, (row.reference, row.title, row.problem, row.body, row.entity_name)))
        bind.execute(sa.update(proposal).where(proposal.c.id == row.id).values(search_text=fold(text)))
    op.drop_index('ix_proposal_term_cycle_term', table_name='proposal_term')
    op.drop_table('proposal_term')
