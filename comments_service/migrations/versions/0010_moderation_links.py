"""moderator notices' action links: moderation_link_uses, so each link works once;
and an index on comments (created_at, id) for moderators' search

Revision ID: 0010_moderation_links
Revises: 0009_autoincrement
Create Date: 2026-12-02 08:50:00

Hand-written. One new table and one new index; no row changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_moderation_links'
down_revision = '0009_autoincrement'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('moderation_link_uses',
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_moderation_link_uses'))
    )
    # Moderators' search over all comments: newest first by keyset, date ranges.
    op.create_index('ix_comments_created_id', 'comments', ['created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_comments_created_id', table_name='comments')
    op.drop_table('moderation_link_uses')
