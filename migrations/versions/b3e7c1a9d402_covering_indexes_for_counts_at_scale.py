"""Covering indexes for the counts pages show at a national scale (the register's per-sector and
per-area figures, a thread's figures, a cycle's received comments) and a thread's pages in order
without sorting the thread (bench/RESULTS.md)

Revision ID: b3e7c1a9d402
Revises: 5d2f8e1c7a30
Create Date: 2026-11-25 01:45:00

"""
from alembic import op
import sqlalchemy as sa

import consulta.core.models


# revision identifiers, used by Alembic.
revision = 'b3e7c1a9d402'
down_revision = '5d2f8e1c7a30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_proposal_cycle_sector_area', 'proposal', ['cycle_id', 'sector', 'area_id', 'channel'],
                    unique=False)
    op.create_index('ix_comment_thread_counts', 'comment',
                    ['target_kind', 'target_id', 'staff', 'state', 'alignment', 'hidden_reason', 'parent_id',
                     'campaign_of_id'], unique=False)
    op.create_index('ix_comment_counted', 'comment',
                    ['cycle_id', 'target_kind', 'staff', 'state', 'answer_id', 'target_id', 'id'], unique=False)
    op.create_index('ix_comment_thread_page', 'comment', ['target_kind', 'target_id', 'created_at', 'id'], unique=False,
                    sqlite_where=sa.text('parent_id IS NULL AND campaign_of_id IS NULL'),
                    postgresql_where=sa.text('parent_id IS NULL AND campaign_of_id IS NULL'))


def downgrade():
    op.drop_index('ix_comment_thread_page', table_name='comment')
    op.drop_index('ix_comment_counted', table_name='comment')
    op.drop_index('ix_comment_thread_counts', table_name='comment')
    op.drop_index('ix_proposal_cycle_sector_area', table_name='proposal')
