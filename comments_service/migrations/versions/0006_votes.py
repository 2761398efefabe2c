"""votes: one row per reader and comment; counters and a Wilson rank on comments

Table: votes. Columns: comments.upvotes / downvotes / rank. The top-sort index
ranks by rank instead of score (ix_comments_top_by_score -> ix_comments_top_by_rank).

Revision ID: 0006_votes
Revises: 0003_moderation
Create Date: 2026-11-25 15:00:00

Hand-written. New NOT NULL columns carry a literal server default (0), added
with plain ALTER TABLE (no batch table copy: with foreign keys on, SQLite would
cascade-delete through a dropped table). Comments that already have a score
(imported from Isso, say) get it as that many up (or down) votes, and the rank
those counts give, so the top sort keeps ordering them after the upgrade. The
rank formula is copied here, not imported, so this migration stays as written.
"""
import math

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_votes'
down_revision = '0003_moderation'
branch_labels = None
depends_on = None

_Z = 1.959963984540054  # two-sided 95%


def _lower_bound(positive, total):
    if total == 0:
        return 0.0
    share = positive / total
    z2 = _Z * _Z
    centre = share + z2 / (2 * total)
    spread = _Z * math.sqrt((share * (1 - share) + z2 / (4 * total)) / total)
    return max(0.0, (centre - spread) / (1 + z2 / total))


def _rank(up, down):
    if up > 0:
        return round(_lower_bound(up, up + down) * 1_000_000)
    if down > 0:
        return -round(_lower_bound(down, down) * 1_000_000)
    return 0


def upgrade():
    op.add_column('comments', sa.Column('upvotes', sa.Integer(), server_default='0', nullable=False))
    op.add_column('comments', sa.Column('downvotes', sa.Integer(), server_default='0', nullable=False))
    op.add_column('comments', sa.Column('rank', sa.Integer(), server_default='0', nullable=False))

    connection = op.get_bind()
    scores = connection.execute(sa.text(
        "SELECT DISTINCT score FROM comments WHERE score <> 0")).scalars().all()
    for score in scores:
        up, down = max(score, 0), max(-score, 0)
        connection.execute(
            sa.text("UPDATE comments SET upvotes = :up, downvotes = :down, rank = :rank "
                    "WHERE score = :score"),
            {"up": up, "down": down, "rank": _rank(up, down), "score": score})

    op.drop_index('ix_comments_top_by_score', table_name='comments')
    op.create_index('ix_comments_top_by_rank', 'comments', ['thread_id', 'depth', 'is_pinned', 'rank', 'created_at', 'id'], unique=False)

    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('voter_key', sa.String(length=64), nullable=False),
    sa.Column('address_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value IN (1, -1)', name=op.f('ck_votes_value_known')),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_votes_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
    sa.UniqueConstraint('comment_id', 'voter_key', name=op.f('uq_votes_comment_id'))
    )
    op.create_index('ix_votes_voter_key', 'votes', ['voter_key', 'comment_id'], unique=False)
    op.create_index('ix_votes_comment_address', 'votes', ['comment_id', 'address_key'], unique=False)


def downgrade():
    op.drop_index('ix_votes_comment_address', table_name='votes')
    op.drop_index('ix_votes_voter_key', table_name='votes')
    op.drop_table('votes')
    op.drop_index('ix_comments_top_by_rank', table_name='comments')
    op.create_index('ix_comments_top_by_score', 'comments', ['thread_id', 'depth', 'is_pinned', 'score', 'created_at', 'id'], unique=False)
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), again no table copy. score keeps
    # the net votes.
    op.drop_column('comments', 'rank')
    op.drop_column('comments', 'downvotes')
    op.drop_column('comments', 'upvotes')
