"""Writing one batch of new comments: ids, paths and root ids, counters, anchors.

loader.py decides what a batch holds (new comments only, parents already placed);
here it goes in: one INSERT, then counters moved by SQL expressions, as
services/posting.py moves them, so that a live site keeps counting right.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from comments_service.importers.report import ImportReport
from comments_service.models import (
    Comment,
    CommentStatus,
    PassageAnchor,
    Thread,
    UTCDateTime,
    path_segment,
)
from comments_service.services.passages import Anchor

# Where a staged comment landed: database id, path, thread id, is_new (1/0), staging seq.
Placed = tuple[int, str, int, int, int]

_COMMENTS = Comment.__table__
_THREADS = Thread.__table__

_SET_PATH = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(path=bindparam("b_path"), root_id=bindparam("b_root"))
)
_ADD_CHILDREN = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(child_count=_COMMENTS.c.child_count + bindparam("b_count"))
)
_ADD_REPLIES = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(reply_count=_COMMENTS.c.reply_count + bindparam("b_count"))
)
SET_REPLY_TO = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(reply_to_id=bindparam("b_reply_to"))
)
_LAST = bindparam("b_last", type_=UTCDateTime())
_ADD_TO_THREAD = (
    update(_THREADS)
    .where(_THREADS.c.id == bindparam("b_id"))
    .values(
        total_count=_THREADS.c.total_count + bindparam("b_total"),
        visible_count=_THREADS.c.visible_count + bindparam("b_visible"),
        version=_THREADS.c.version + 1,
        last_comment_at=case(
            (or_(_THREADS.c.last_comment_at.is_(None), _THREADS.c.last_comment_at < _LAST), _LAST),
            else_=_THREADS.c.last_comment_at,
        ),
    )
)


@dataclass
class NewComment:
    seq: int
    values: dict[str, Any]
    parent_path: str  # path of the comment it hangs under ("" for top level)
    anchor: Anchor | None = None  # passages: a top-level comment's anchor, if any


def _path_and_root(parent_path: str, ident: int) -> tuple[str, int]:
    """A new comment's path and root id, from its parent's path ("" at top level)."""
    own = path_segment(ident)
    if not parent_path:
        return own, ident
    return f"{parent_path}.{own}", int(parent_path.split(".")[0])



def _allocates_ids_first(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_batch(
    session: Session, new: list[NewComment], report: ImportReport
) -> list[Placed]:
    """Insert a batch with paths and root ids, move the counters; return placements."""
    ids = _inserted_ids(session, new)
    placed: list[Placed] = []
    children: Counter[int] = Counter()
    replies: Counter[int] = Counter()
    threads: dict[int, dict[str, Any]] = {}
    for comment, ident in zip(new, ids, strict=True):
        values = comment.values
        path, root = _path_and_root(comment.parent_path, ident)
        placed.append((ident, path, values["thread_id"], 1, comment.seq))
        status = values["status"]
        is_visible = status == CommentStatus.VISIBLE.value
        if values["parent_id"] is not None:
            children[values["parent_id"]] += 1
            if is_visible:
                replies[root] += 1
        counts = threads.setdefault(
            values["thread_id"],
            {"b_id": values["thread_id"], "b_total": 0, "b_visible": 0, "b_last": None},
        )
        counts["b_total"] += status != CommentStatus.DELETED.value
        counts["b_visible"] += is_visible
        if counts["b_last"] is None or values["created_at"] > counts["b_last"]:
            counts["b_last"] = values["created_at"]
        report.comments_imported += 1
        report.imported_by_status[status] += 1
    anchors = [
        {"comment_id": ident, "thread_id": comment.values["thread_id"],
         "passage_key": comment.anchor.passage_key, "quote": comment.anchor.quote,
         "prefix": comment.anchor.prefix, "suffix": comment.anchor.suffix}
        for comment, ident in zip(new, ids, strict=True) if comment.anchor is not None
    ]
    if anchors:
        session.execute(insert(PassageAnchor), anchors)
    _add_counts(session, children, replies)
    session.execute(_ADD_TO_THREAD, list(threads.values()))
    return placed


def _add_counts(session: Session, children: Counter[int], replies: Counter[int]) -> None:
    """Add a batch's new replies to their parents' child_count and roots' reply_count.

    PostgreSQL: one UPDATE ... FROM unnest(ids, counts) for the batch (an executemany
    was a statement per parent). SQLite: an executemany of each, which costs little
    there (no round trips).
    """
    if _allocates_ids_first(session) and (children or replies):
        ids = sorted(children.keys() | replies.keys())
        counts = (
            func.unnest(
                bindparam("ids", ids, type_=ARRAY(Integer)),
                bindparam("children", [children[i] for i in ids], type_=ARRAY(Integer)),
                bindparam("replies", [replies[i] for i in ids], type_=ARRAY(Integer)),
            )
            .table_valued("id", "children", "replies")
            .render_derived(name="counts")
        )
        session.execute(
            update(_COMMENTS)
            .where(_COMMENTS.c.id == counts.c.id)
            .values(child_count=_COMMENTS.c.child_count + counts.c.children,
                    reply_count=_COMMENTS.c.reply_count + counts.c.replies)
        )
        return
    if children:
        session.execute(
            _ADD_CHILDREN, [{"b_id": i, "b_count": n} for i, n in children.items()]
        )
    if replies:
        session.execute(
            _ADD_REPLIES, [{"b_id": i, "b_count": n} for i, n in replies.items()]
        )

def _inserted_ids(session: Session, new: list[NewComment]) -> list[int]:
    """Insert the batch; return its ids, in order (ascending: siblings by date).

    Each row goes in with its id, path and root id, so that no UPDATE of every new
    row follows, in one executemany of a short statement. PostgreSQL: the ids are
    drawn from the sequence first. SQLite: the first row is inserted alone and
    returns its id; that INSERT holds the database's only write lock until the
    batch commits, so the ids after it are free for the rest of the batch. (SQLite
    cannot promise the order of a multi-row INSERT ... RETURNING, so SQLAlchemy ran
    that one row at a time: 32,000 INSERTs for 32,000 comments.)
    """
    if _allocates_ids_first(session):
        ids = sorted(session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(_COMMENTS.name, "id")))
            .select_from(func.generate_series(1, len(new)))
        ))
        rest = new
    else:
        first = session.execute(
            insert(_COMMENTS).returning(_COMMENTS.c.id), new[0].values
        ).scalar_one()
        ids = list(range(first, first + len(new)))
        path, root = _path_and_root(new[0].parent_path, first)
        session.execute(_SET_PATH, [{"b_id": first, "b_path": path, "b_root": root}])
        rest = new[1:]
    rows = []
    for comment, ident in zip(rest, ids[len(new) - len(rest):], strict=True):
        path, root = _path_and_root(comment.parent_path, ident)
        rows.append({**comment.values, "id": ident, "path": path, "root_id": root})
    if rows:
        session.execute(insert(_COMMENTS), rows)
    return ids
