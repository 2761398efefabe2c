"""readers' own data: reader_data_requests, the outbox kind that mails their link, and
an index on comments' lower-cased author_email

Revision ID: 0008_reader_data
Revises: 0007_passages
Create Date: 2026-11-25 15:00:00

Hand-written. The outbox's kind CHECK gains 'reader_data'; SQLite cannot alter a
CHECK in place, so that one table is rebuilt in batch mode (nothing references
the outbox, so copying it cascades nowhere).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_reader_data'
down_revision = '0007_passages'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('comment', 'confirm', 'moderator', 'webhook')"
NEW_KINDS = "kind IN ('comment', 'confirm', 'moderator', 'webhook', 'reader_data')"


def upgrade():
    op.create_table('reader_data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_reader_data_requests_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_data_requests'))
    )
    op.create_index('ix_reader_data_requests_expires_at', 'reader_data_requests', ['expires_at'], unique=False)
    # An address's comments whatever its letter case (plain, not batch: SQLite does
    # expression indexes in place).
    op.create_index('ix_comments_email_lower', 'comments', [sa.text('lower(author_email)')], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_kind_known'), sa.text(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM outbox WHERE kind = 'reader_data'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_kind_known'), sa.text(OLD_KINDS))
    op.drop_index('ix_comments_email_lower', table_name='comments')
    op.drop_index('ix_reader_data_requests_expires_at', table_name='reader_data_requests')
    op.drop_table('reader_data_requests')
