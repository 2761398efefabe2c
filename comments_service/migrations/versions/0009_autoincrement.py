"""ids never reused: SQLite tables whose ids leave the service become AUTOINCREMENT

Revision ID: 0009_autoincrement
Revises: 0008_reader_data
Create Date: 2026-12-02 08:30:00

Hand-written. Without AUTOINCREMENT, SQLite gives a new row the largest rowid + 1, so
after the newest comment (or thread, outbox row, ban, ...) is deleted its id is handed
out again, while it still lives in readers' browsers, in Message-IDs and signed links,
in live-event markers and in moderators' sessions. SQLite cannot add AUTOINCREMENT in
place: each table is rebuilt in batch mode, every row copied with its id (env.py turns
foreign keys off, so dropping the old copy cascades nowhere), and sqlite_sequence starts
at the largest id present. An id deleted before this migration ran is not known to it.
PostgreSQL's identity sequences never reuse a value: nothing to do there.

Batch mode copies indexes as SQLite reflects them, which loses two of the comments
table's: the expression index (lower(author_email)) is not reflected at all, and the
oldest-first page's index comes back without its descending is_pinned (a 100,000-comment
thread's first page then sorts every row: 199 ms instead of under 1 ms). Both are made
again after the comments table is rebuilt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_autoincrement'
down_revision = '0008_reader_data'
branch_labels = None
depends_on = None

# Parents before children is not needed (foreign keys are off); the order is only tidy.
TABLES = ('threads', 'comments', 'outbox', 'bans', 'audit_log', 'reader_data_requests',
          'moderators')


def _rebuild(autoincrement):
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate='always',
                                  table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass
        if table == 'comments':
            op.create_index('ix_comments_email_lower', 'comments',
                            [sa.text('lower(author_email)')], unique=False)
            op.drop_index('ix_comments_top_pinned_oldest', table_name='comments')
            op.create_index('ix_comments_top_pinned_oldest', 'comments',
                            ['thread_id', 'depth', sa.text('is_pinned DESC'), 'created_at',
                             'id'], unique=False)


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
