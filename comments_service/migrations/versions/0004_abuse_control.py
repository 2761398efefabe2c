"""abuse control: indexes for the duplicate-comment rule

Revision ID: 0002_abuse
Revises: 0001
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002_abuse'
down_revision = '0005_import'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_client_recent', ['client_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_email_recent', ['author_email', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_email_recent')
        batch_op.drop_index('ix_comments_client_recent')
