"""comments: the institution a staff comment speaks for (a progress report's responsible entity)

Revision ID: 5d2f8e1c7a30
Revises: 268822b1f66b
Create Date: 2026-11-25 01:55:00

"""
from alembic import op
import sqlalchemy as sa

import consulta.core.models


# revision identifiers, used by Alembic.
revision = '5d2f8e1c7a30'
down_revision = '268822b1f66b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('speaks_for', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('speaks_for')
