"""Which of an import's comments a site has already: what makes a second run a no-op.

A comment is known by its import key, ``system:source:id`` (records.import_key).
Each key is one look-up in the unique (import_key, thread_id) index; the site's own
threads are then told apart by id. Joined to threads in one statement, SQLite's
planner walked every thread of the site and looked each key up in each (55 s to
re-import 32,000 comments into 320 threads, issue 17).

PostgreSQL plans ``import_key IN (500 keys)`` from the table's statistics, and a
table an import is filling has none yet (autovacuum analyses it a minute later at
best): it guessed thousands of rows per key and scanned the whole table for every
batch (32 of the 64 s of importing 32,000 comments). There the keys are unnested
and each one is looked up on its own (a LATERAL subquery behind an OFFSET 0 fence,
which the planner may not flatten back into a hash join), whatever the statistics;
250 keys a statement keep the stale cost estimate of a 32,000-comment table under the
JIT threshold (a batch of 500 is two round trips).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import String, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from comments_service.importers.staging import Staging
from comments_service.models import Comment, Thread

# Sources whose comments were keyed "system:id" before the source joined the key.
LEGACY_KEYED = frozenset({"wordpress", "isso"})

Placement = tuple[int, str, int]  # database id, path, thread id

# Keys per look-up statement on PostgreSQL (see the module's docstring).
_PG_KEYS_PER_STATEMENT = 250


def _pg_lookup(keys: list[str]) -> Select[tuple[str | None, int, str, int]]:
    """Each key looked up on its own in the import_key index (PostgreSQL)."""
    wanted = (
        func.unnest(bindparam("keys", keys, type_=ARRAY(String)))
        .table_valued("key")
        .render_derived(name="wanted")
    )
    found = (
        select(Comment.import_key, Comment.id, Comment.path, Comment.thread_id)
        .where(Comment.import_key == wanted.c.key)
        .offset(0)  # a fence: keeps the per-key index look-up (see above)
        .lateral("found")
    )
    return select(found.c.import_key, found.c.id, found.c.path, found.c.thread_id).select_from(
        wanted
    ).join(found, true())


def _lookups(session: Session, keys: list[str]) -> list[Select[tuple[str | None, int, str, int]]]:
    if session.get_bind().dialect.name == "postgresql":
        step = _PG_KEYS_PER_STATEMENT
        return [_pg_lookup(keys[i:i + step]) for i in range(0, len(keys), step)]
    return [
        select(Comment.import_key, Comment.id, Comment.path, Comment.thread_id)
        .where(Comment.import_key.in_(keys))
    ]


def _by_key(session: Session, site_id: int, keys: list[str]) -> dict[str, Placement]:
    rows = [row for lookup in _lookups(session, keys) for row in session.execute(lookup).all()]
    if not rows:
        return {}
    own = set(session.scalars(
        select(Thread.id).where(Thread.site_id == site_id, Thread.id.in_({r[3] for r in rows}))
    ))
    return {key: (ident, path, thread) for key, ident, path, thread in rows if thread in own}


def _imported_before_sources(
    session: Session, site_id: int, staging: Staging, rows: list[sqlite3.Row]
) -> dict[str, Placement]:
    """Comments an earlier version imported as "system:id", before the source was part
    of the key: the same comment when it sits in the thread of the same article key."""
    legacy: dict[str, sqlite3.Row] = {}
    for row in rows:
        system, _, rest = row["import_key"].partition(":")
        source, _, source_id = rest.partition(":")
        if system in LEGACY_KEYED and source and source_id:
            legacy[f"{system}:{source_id}"] = row
    found = _by_key(session, site_id, list(legacy)) if legacy else {}
    if not found:
        return {}
    article_keys = dict(session.execute(
        select(Thread.id, Thread.article_key).where(
            Thread.id.in_({thread for _, _, thread in found.values()}))
    ).all())
    matched = {}
    for old_key, placement in found.items():
        row = legacy[old_key]
        staged = staging.db.execute(
            "SELECT article_key FROM thread WHERE source_id = ?", (row["thread_source_id"],)
        ).fetchone()
        if staged is not None and (staged["article_key"] or "").strip() == article_keys[
            placement[2]
        ]:
            matched[row["import_key"]] = placement
    return matched


def already_present(
    session: Session, site_id: int, staging: Staging, rows: list[sqlite3.Row]
) -> dict[str, Placement]:
    """The staged comments of ``rows`` that the site has already, by import key."""
    found = _by_key(session, site_id, [row["import_key"] for row in rows])
    missing = [row for row in rows if row["import_key"] not in found]
    if missing:
        found.update(_imported_before_sources(session, site_id, staging, missing))
    return found
