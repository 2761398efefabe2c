"""passages: anchors of top-level comments to a passage of the article (issue 9)

Table: passage_anchors (one row per anchored top-level comment).

Revision ID: 0007_passages
Revises: 0006_votes
Create Date: 2026-11-25 15:00:00

Hand-written. A new table only: nothing existing moves, so upgrading a
database that holds comments is a CREATE TABLE and an index.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_passages'
down_revision = '0006_votes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'passage_anchors',
        sa.Column('comment_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('passage_key', sa.String(length=100), nullable=False),
        sa.Column('quote', sa.String(length=2000), nullable=False),
        sa.Column('prefix', sa.String(length=200), nullable=False),
        sa.Column('suffix', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('comment_id'),
    )
    op.create_index('ix_passage_anchors_thread_key', 'passage_anchors',
                    ['thread_id', 'passage_key'], unique=False)


def downgrade():
    op.drop_index('ix_passage_anchors_thread_key', table_name='passage_anchors')
    op.drop_table('passage_anchors')
