"""readers' languages: the language a reader subscribed or asked for their data in,
so every mail they get is written in it

Revision ID: 0012_reader_language
Revises: 0011_identities
Create Date: 2026-12-02 12:00:00

Hand-written. Two nullable columns; existing rows keep NULL (mails to them stay in
the site's or the service's default language). Plain ADD / DROP COLUMN, no batch
rebuild (SQLite drops neither table nor index for them).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_reader_language'
down_revision = "0011_identities"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('subscriptions', sa.Column('language', sa.String(length=16), nullable=True))
    op.add_column('reader_data_requests',
                  sa.Column('language', sa.String(length=16), nullable=True))


def downgrade():
    op.drop_column('reader_data_requests', 'language')
    op.drop_column('subscriptions', 'language')
