"""moderation: flags, moderators, bans, audit log; pinned and pre-moderated comments

Tables: flags, moderators, moderator_sites, moderator_tokens, bans, audit_log.
Columns: threads.is_premoderated, comments.status_reason / is_pinned /
flag_count. Top-level indexes that sort pinned first.

Revision ID: 0003_moderation
Revises: 0001
Create Date: 2026-11-26 09:00:00

Hand-written. New NOT NULL columns on existing tables carry a literal server
default so existing rows are filled (false / 0) in place on both backends. The
two top-level page indexes are rebuilt with is_pinned after (thread_id, depth),
and oldest-first gets its own index with is_pinned descending.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_moderation'
down_revision = '0002_abuse'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN with literal defaults, never a batch
    # "move and copy" on SQLite: with foreign keys enforced, dropping the old
    # threads table would cascade-delete every comment.
    op.add_column('threads', sa.Column('is_premoderated', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('comments', sa.Column('status_reason', sa.String(length=200), nullable=True))
    op.add_column('comments', sa.Column('is_pinned', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('comments', sa.Column('flag_count', sa.Integer(), server_default='0', nullable=False))

    # Plain (not batch) index operations: SQLite does these in place, and batch
    # mode cannot carry the DESC expression of the pinned-oldest index.
    op.drop_index('ix_comments_top_by_time', table_name='comments')
    op.drop_index('ix_comments_top_by_score', table_name='comments')
    op.create_index('ix_comments_top_by_time', 'comments', ['thread_id', 'depth', 'is_pinned', 'created_at', 'id'], unique=False)
    op.create_index('ix_comments_top_by_score', 'comments', ['thread_id', 'depth', 'is_pinned', 'score', 'created_at', 'id'], unique=False)
    op.create_index('ix_comments_top_pinned_oldest', 'comments', ['thread_id', 'depth', sa.text('is_pinned DESC'), 'created_at', 'id'], unique=False)
    op.create_index('ix_comments_status', 'comments', ['status'], unique=False)
    op.create_index('ix_comments_flag_count', 'comments', ['flag_count'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=True),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('reader_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("reason IN ('spam', 'abuse', 'off_topic', 'other')", name=op.f('ck_flags_reason_known')),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_flags_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags')),
    sa.UniqueConstraint('comment_id', 'client_hash', 'reader_key', name=op.f('uq_flags_comment_id'))
    )
    op.create_table('moderators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderators')),
    sa.UniqueConstraint('email', name=op.f('uq_moderators_email'))
    )
    op.create_table('moderator_sites',
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_moderator_sites_moderator_id_moderators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_moderator_sites_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('moderator_id', 'site_id', name=op.f('pk_moderator_sites'))
    )
    op.create_table('moderator_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_moderator_tokens_moderator_id_moderators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderator_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_moderator_tokens_token_hash'))
    )
    with op.batch_alter_table('moderator_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderator_tokens_moderator_id'), ['moderator_id'], unique=False)

    op.create_table('bans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=True),
    sa.Column('client_hash', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('email_hash IS NOT NULL OR client_hash IS NOT NULL', name=op.f('ck_bans_has_target')),
    sa.ForeignKeyConstraint(['created_by_id'], ['moderators.id'], name=op.f('fk_bans_created_by_id_moderators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_bans_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bans'))
    )
    with op.batch_alter_table('bans', schema=None) as batch_op:
        batch_op.create_index('ix_bans_site_client', ['site_id', 'client_hash'], unique=False)
        batch_op.create_index('ix_bans_site_email', ['site_id', 'email_hash'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('ban_id', sa.Integer(), nullable=True),
    sa.Column('status_before', sa.String(length=16), nullable=True),
    sa.Column('status_after', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_audit_log_moderator_id_moderators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_audit_log_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_site_id_id', ['site_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_comment_id'), ['comment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_comment_id'))
        batch_op.drop_index('ix_audit_log_site_id_id')
    op.drop_table('audit_log')

    with op.batch_alter_table('bans', schema=None) as batch_op:
        batch_op.drop_index('ix_bans_site_email')
        batch_op.drop_index('ix_bans_site_client')
    op.drop_table('bans')

    with op.batch_alter_table('moderator_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderator_tokens_moderator_id'))
    op.drop_table('moderator_tokens')
    op.drop_table('moderator_sites')
    op.drop_table('moderators')
    op.drop_table('flags')

    op.drop_index('ix_comments_flag_count', table_name='comments')
    op.drop_index('ix_comments_status', table_name='comments')
    op.drop_index('ix_comments_top_pinned_oldest', table_name='comments')
    op.drop_index('ix_comments_top_by_score', table_name='comments')
    op.drop_index('ix_comments_top_by_time', table_name='comments')
    op.create_index('ix_comments_top_by_score', 'comments', ['thread_id', 'depth', 'score', 'created_at', 'id'], unique=False)
    op.create_index('ix_comments_top_by_time', 'comments', ['thread_id', 'depth', 'created_at', 'id'], unique=False)
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), again no table copy.
    op.drop_column('comments', 'flag_count')
    op.drop_column('comments', 'is_pinned')
    op.drop_column('comments', 'status_reason')
    op.drop_column('threads', 'is_premoderated')
