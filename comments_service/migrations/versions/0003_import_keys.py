"""comments.import_key: where an imported comment came from, unique per thread

Revision ID: 0005_import
Revises: 0001
Create Date: 2026-11-26 10:00:00

Hand-written. The unique constraint leads with import_key so that the importer's
lookup of a batch of keys (joined to the site's threads) is served by its index.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_import'
down_revision = "0004_notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_comments_import_key'), ['import_key', 'thread_id']
        )


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_comments_import_key'), type_='unique')
        batch_op.drop_column('import_key')
