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

The expression index on comments (lower(author_email)) is not reflected by SQLite, so
batch mode cannot carry it over: it is made again after the comments table is rebuilt.
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


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
