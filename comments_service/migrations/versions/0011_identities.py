"""readers who sign in: identities, their service tokens, used sign-in links; and on
comments the signed-in author's identity id and avatar URL

Revision ID: 0011_identities
Revises: 0010_moderation_links
Create Date: 2026-12-02 12:00:00

Hand-written. Three new tables; two nullable columns and an index on comments, added
without rebuilding the table on SQLite (comments.identity_id is a plain indexed id, not a
foreign key, for that reason: see models/core.py). The outbox's kind CHECK gains
'sign_in' (the emailed sign-in link); SQLite cannot alter a CHECK in place, so that one
table is rebuilt in batch mode, as 0008 did, staying AUTOINCREMENT (0009). No row
changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_identities'
down_revision = '0010_moderation_links'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('comment', 'confirm', 'moderator', 'webhook', 'reader_data')"
NEW_KINDS = "kind IN ('comment', 'confirm', 'moderator', 'webhook', 'reader_data', 'sign_in')"


def upgrade():
    op.create_table('identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('avatar_url', sa.String(length=2048), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('is_banned', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_identities_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
    sa.UniqueConstraint('site_id', 'provider', 'subject', name=op.f('uq_identities_site_id')),
    sqlite_autoincrement=True
    )
    op.create_index('ix_identities_site_name_key', 'identities', ['site_id', 'name_key'], unique=False)
    op.create_table('reader_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], name=op.f('fk_reader_tokens_identity_id_identities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_reader_tokens_token_hash')),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_reader_tokens_identity_id'), 'reader_tokens', ['identity_id'], unique=False)
    op.create_table('sign_in_link_uses',
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_sign_in_link_uses'))
    )
    op.add_column('comments', sa.Column('identity_id', sa.Integer(), nullable=True))
    op.add_column('comments', sa.Column('author_picture', sa.String(length=2048), nullable=True))
    op.create_index(op.f('ix_comments_identity_id'), 'comments', ['identity_id'], unique=False)
    # Keep the outbox AUTOINCREMENT (0009) through the rebuild.
    with op.batch_alter_table('outbox', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_kind_known'), sa.text(NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM outbox WHERE kind = 'sign_in'")
    # Keep the outbox AUTOINCREMENT (0009) through the rebuild.
    with op.batch_alter_table('outbox', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_kind_known'), sa.text(OLD_KINDS))
    op.drop_index(op.f('ix_comments_identity_id'), table_name='comments')
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild that would drop the
    # comments' expression and DESC indexes.
    op.drop_column('comments', 'author_picture')
    op.drop_column('comments', 'identity_id')
    op.drop_table('sign_in_link_uses')
    op.drop_index(op.f('ix_reader_tokens_identity_id'), table_name='reader_tokens')
    op.drop_table('reader_tokens')
    op.drop_index('ix_identities_site_name_key', table_name='identities')
    op.drop_table('identities')
