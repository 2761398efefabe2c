"""Reading threads: a page of the tree in a fixed number of queries, whatever its size.

A page is: the thread row, one keyset query for the top-level comments, and one
query for the first replies under each of them (one bounded sub-select per
top-level comment, joined by UNION ALL, each served by the (root_id, path)
index). Nothing here uses OFFSET, and nothing counts rows: counts are kept on
the thread and on top-level comments at write time.

What the public sees: visible comments, and non-visible comments that still
have children, as placeholders so the tree keeps its shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    and_,
    bindparam,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from comments_service.errors import CommentNotFound, InvalidCursor
from comments_service.models import Comment, CommentStatus, PassageAnchor, Site, Thread
from comments_service.services.passages import Anchor
from comments_service.services.thread_cursors import (
    Sort,
    replies_cursor,
    replies_key,
    top_level_cursor,
    top_level_key,
)
from comments_service.services.thread_pages import (
    Author,
    CommentNode,
    PublicStatus,
    RepliesPage,
    ThreadPage,
    ThreadSummary,
)

SORTS: tuple[Sort, ...] = ("oldest", "newest", "top")

# The read path selects table columns (Core), not ORM attributes: same SQL and rows,
# without the ORM's per-statement work (profiled: ~40 us a statement).
_C = Comment.__table__.c
_T = Thread.__table__.c
_A = PassageAnchor.__table__.c

# Only the columns a page shows: rows, not ORM objects, on the hot path.
_NODE_COLUMNS = (
    _C.id,
    _C.parent_id,
    _C.reply_to_id,
    _C.root_id,
    _C.depth,
    _C.path,
    _C.status,
    _C.author_name,
    _C.author_website,
    _C.avatar_seed,
    _C.body_html,
    _C.score,
    _C.reply_count,
    _C.created_at,
    _C.edited_at,
    _C.is_pinned,
    _C.upvotes,
    _C.downvotes,
    _C.rank,
    _C.identity_id,
    _C.author_picture,
)
_NODE_WIDTH = len(_NODE_COLUMNS)


# passages (issue 9): top-level rows carry their anchor, by an outer join on its key.
_ANCHOR_COLUMNS = (
    _A.passage_key.label("anchor_key"),
    _A.quote.label("anchor_quote"),
    _A.prefix.label("anchor_prefix"),
    _A.suffix.label("anchor_suffix"),
)
_WITH_ANCHOR = Comment.__table__.outerjoin(PassageAnchor.__table__, _A.comment_id == _C.id)


def _is_public() -> ColumnElement[bool]:
    return or_(_C.status == CommentStatus.VISIBLE.value, _C.child_count > 0)


_VISIBLE = CommentStatus.VISIBLE.value


def _node(row: Row[Any]) -> CommentNode:
    # Unpacked as a tuple in _NODE_COLUMNS order: reading 16 row attributes by name and
    # the enum's value per row cost ~7 us a comment, most of building a page's nodes
    # (profiled); unpacking ~0.6 us.
    # Rows of _NODE_COLUMNS may go on with more (the anchor's): only its first ones here.
    (ident, parent_id, reply_to_id, root_id, depth, path, status, author_name,
     author_website, avatar_seed, body_html, score, reply_count, created_at, edited_at,
     is_pinned, upvotes, downvotes, rank, identity_id, picture) = row[:_NODE_WIDTH]
    # The rows read are visible, or not visible but with replies: placeholders.
    visible = status == _VISIBLE
    return CommentNode(
        id=ident,
        parent_id=parent_id,
        reply_to_id=reply_to_id,
        root_id=root_id,
        depth=depth,
        path=path,
        status="visible" if visible else "deleted",
        author=Author(author_name, author_website, avatar_seed, identity_id is not None,
                      identity_id, picture) if visible else None,
        body_html=body_html if visible else "",
        score=score,
        created_at=created_at,
        edited_at=edited_at,
        replies_total=reply_count if depth == 0 else 0,
        is_pinned=bool(is_pinned),
        upvotes=upvotes,
        downvotes=downvotes,
        rank=rank,
    )


def _anchored_node(row: Row[Any]) -> CommentNode:
    """A node from a row selected with _ANCHOR_COLUMNS."""
    node = _node(row)
    if row.anchor_key is not None:
        node.anchor = Anchor(row.anchor_key, row.anchor_quote, row.anchor_prefix,
                             row.anchor_suffix)
    return node


def node_from_comment(comment: Comment, anchor: Anchor | None = None) -> CommentNode:
    """The public view of a comment just written (no replies attached)."""
    status: PublicStatus = (
        "visible" if comment.status == _VISIBLE
        else "pending" if comment.status == CommentStatus.PENDING.value else "deleted")
    return CommentNode(
        id=comment.id,
        parent_id=comment.parent_id,
        reply_to_id=comment.reply_to_id,
        root_id=comment.root_id or comment.id,
        depth=comment.depth,
        path=comment.path,
        status=status,
        author=None if status == "deleted"
        else Author(comment.author_name, comment.author_website, comment.avatar_seed,
                    comment.identity_id is not None, comment.identity_id,
                    comment.author_picture),
        body_html="" if status == "deleted" else comment.body_html,
        score=comment.score,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        replies_total=comment.reply_count if comment.depth == 0 else 0,
        is_pinned=comment.is_pinned,
        anchor=anchor,
        upvotes=comment.upvotes or 0,
        downvotes=comment.downvotes or 0,
        rank=comment.rank or 0,
    )


# ---- queries ------------------------------------------------------------------


# Built once: the ETag of every page read comes from this lookup (profiled: 200 us
# built per request through the ORM, 33 us this way).
_FIND_THREAD = select(
    _T.id,
    _T.article_key,
    _T.title,
    _T.url,
    _T.is_locked,
    _T.total_count,
    _T.visible_count,
    _T.version,
).where(_T.site_id == bindparam("site_id"), _T.article_key == bindparam("article_key"))


def find_thread(session: Session, site: Site, article_key: str) -> ThreadSummary | None:
    """The thread of an article, or None before its first comment."""
    row = session.execute(
        _FIND_THREAD, {"site_id": site.id, "article_key": article_key}
    ).one_or_none()
    return ThreadSummary(**row._asdict()) if row is not None else None


def _top_level_query(
    thread_id: int | BindParameter[int],
    sort: Sort,
    after: tuple[Any, ...] | None,
    passage: str | BindParameter[str] | None = None,
) -> Select[Any]:
    """Top-level comments, pinned first on every sort, after the cursor's key.

    newest and top run wholly descending, so one row comparison pages them (and
    ix_comments_top_by_time / _by_rank read backwards serve them). top ranks by
    votes: the Wilson lower bound kept in rank (services/votes.py), newest first
    among equals. oldest is
    pinned-descending then time-ascending: its keyset splits on is_pinned
    (served by ix_comments_top_pinned_oldest). Each row carries its anchor;
    with `passage`, only the comments on that passage.
    """
    query = select(*_NODE_COLUMNS, *_ANCHOR_COLUMNS).select_from(_WITH_ANCHOR).where(
        _C.thread_id == thread_id, _C.depth == 0, _is_public()
    )
    if passage is not None:
        # Both columns of ix_passage_anchors_thread_key, so the filter can start there.
        query = query.where(_A.thread_id == thread_id, _A.passage_key == passage)
    if sort == "oldest":
        if after is not None:
            pinned, created, ident = after
            later = tuple_(_C.created_at, _C.id) > tuple_(created, ident)
            if pinned:
                query = query.where(
                    or_(and_(_C.is_pinned.is_(True), later), _C.is_pinned.is_(False))
                )
            else:
                query = query.where(_C.is_pinned.is_(False), later)
        return query.order_by(_C.is_pinned.desc(), _C.created_at, _C.id)
    if sort == "newest":
        if after is not None:
            query = query.where(
                tuple_(_C.is_pinned, _C.created_at, _C.id) < tuple_(*after)
            )
        return query.order_by(
            _C.is_pinned.desc(), _C.created_at.desc(), _C.id.desc()
        )
    if after is not None:
        query = query.where(
            tuple_(_C.is_pinned, _C.rank, _C.created_at, _C.id)
            < tuple_(*after)
        )
    return query.order_by(
        _C.is_pinned.desc(), _C.rank.desc(), _C.created_at.desc(),
        _C.id.desc(),
    )


@lru_cache(maxsize=len(SORTS) * 3 * 2)
def _top_level_statement(
    sort: Sort, after_pinned: bool | None, by_passage: bool = False
) -> Select[Any]:
    """A page of top-level comments, built once per (sort, the cursor's pin state or none,
    filtered by passage or not).

    The pin state is part of the statement, not a parameter: the oldest sort splits
    its keyset on it (see _top_level_query).
    """
    after: tuple[Any, ...] | None = None
    if after_pinned is not None:
        created = bindparam("after_created", type_=_C.created_at.type)
        after = (after_pinned, created, bindparam("after_id"))
        if sort == "top":
            after = (after_pinned, bindparam("after_rank"), created, bindparam("after_id"))
    passage = bindparam("passage") if by_passage else None
    return _top_level_query(bindparam("thread_id"), sort, after, passage).limit(
        bindparam("page_rows")
    )


def _top_level_params(thread_id: int, after: tuple[Any, ...] | None, rows: int) -> dict[str, Any]:
    params: dict[str, Any] = {"thread_id": thread_id, "page_rows": rows}
    if after is not None:
        params.update(zip(("after_created", "after_id"), after[-2:], strict=True))
        if len(after) == 4:
            params["after_rank"] = after[1]
    return params


def _branch_query(
    root_id: int | BindParameter[int], after_path: str | None, limit: int | BindParameter[int]
) -> Select[Any]:
    query = select(*_NODE_COLUMNS).where(_C.root_id == root_id, _C.depth > 0, _is_public())
    if after_path is not None:
        query = query.where(_C.path > after_path)
    return query.order_by(_C.path).limit(limit)


@lru_cache(maxsize=128)
def _replies_statement(branches: int) -> CompoundSelect[Any]:
    """The first replies under `branches` top-level comments: one bounded branch each.

    Built once per branch count, with the roots and the limit as bound parameters:
    building this expression per request cost more than running it (profiled: about
    9 ms of a 20 ms page with 20 branches).
    """
    parts = [
        _branch_query(bindparam(f"root_{index}"), None, bindparam("per_branch")).subquery()
        for index in range(branches)
    ]
    return union_all(*(select(*part.c) for part in parts))


def _attach(roots: Iterable[CommentNode], replies: Sequence[CommentNode]) -> None:
    """Nest replies (depth-first order) under their parents, which precede them."""
    by_id = {node.id: node for node in roots}
    for reply in replies:
        parent = by_id.get(reply.parent_id) if reply.parent_id is not None else None
        if parent is None:
            # Defensive: hang it under its nearest shown ancestor, else its root.
            for segment in reversed(reply.path.split(".")[:-1]):
                parent = by_id.get(int(segment))
                if parent is not None:
                    break
        if parent is not None:
            parent.replies.append(reply)
        by_id[reply.id] = reply


def read_thread(
    session: Session,
    thread: ThreadSummary | None,
    *,
    sort: Sort,
    cursor: str | None,
    limit: int,
    replies_per_comment: int,
    passage: str | None = None,
) -> ThreadPage:
    """One page of a thread: `limit` top-level comments with their first replies nested.

    With `passage`, only the comments on that passage (and their replies).

    Runs at most two queries (top level, then replies) given the thread row.
    Raises InvalidCursor for a cursor this service did not issue for this sort.
    """
    after = top_level_key(sort, cursor) if cursor else None
    if thread is None:
        return ThreadPage(thread=None, sort=sort, comments=[], next_cursor=None)

    params = _top_level_params(thread.id, after, limit + 1)
    if passage is not None:
        params["passage"] = passage
    rows = session.execute(
        _top_level_statement(sort, after[0] if after is not None else None, passage is not None),
        params,
    ).all()
    roots = [_anchored_node(row) for row in rows[:limit]]
    next_cursor = top_level_cursor(sort, roots[-1]) if len(rows) > limit and roots else None

    with_replies = [root for root in roots if root.replies_total or root.is_placeholder]
    if replies_per_comment > 0 and with_replies:
        params = {f"root_{index}": root.id for index, root in enumerate(with_replies)}
        params["per_branch"] = replies_per_comment + 1
        reply_rows = session.execute(_replies_statement(len(with_replies)), params).all()
        by_root: dict[int, list[CommentNode]] = {}
        for row in reply_rows:
            by_root.setdefault(row.root_id, []).append(_node(row))
        for root in with_replies:
            branch = by_root.get(root.id, [])
            shown = branch[:replies_per_comment]
            if len(branch) > replies_per_comment:
                root.replies_cursor = replies_cursor(root.id, shown[-1].path)
            _attach([root], shown)
    elif with_replies:
        for root in with_replies:
            root.replies_cursor = replies_cursor(root.id, "")
    return ThreadPage(thread=thread, sort=sort, comments=roots, next_cursor=next_cursor)


def read_replies(
    session: Session, site: Site, root_id: int, *, cursor: str | None, limit: int
) -> RepliesPage:
    """More replies under one top-level comment, depth-first, after the cursor's position.

    Raises CommentNotFound when root_id is not a public top-level comment of the
    site, InvalidCursor when the cursor is malformed or for another comment.
    """
    after_path: str | None = None
    if cursor:
        cursor_root, after_path = replies_key(cursor)
        if cursor_root != root_id:
            raise InvalidCursor(fields={"cursor": "this cursor is for another comment"})
    root = session.execute(
        select(Comment.id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == root_id, Comment.depth == 0, Thread.site_id == site.id, _is_public())
    ).one_or_none()
    if root is None:
        raise CommentNotFound()
    rows = session.execute(_branch_query(root_id, after_path or None, limit + 1)).all()
    comments = [_node(row) for row in rows[:limit]]
    next_cursor = replies_cursor(root_id, comments[-1].path) if len(rows) > limit else None
    return RepliesPage(root_id=root_id, comments=comments, next_cursor=next_cursor)


def read_comment(session: Session, site: Site, comment_id: int) -> CommentNode:
    """One public comment of the site, without its replies. Raises CommentNotFound."""
    row = session.execute(
        select(*_NODE_COLUMNS, *_ANCHOR_COLUMNS)
        .select_from(_WITH_ANCHOR)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == comment_id, Thread.site_id == site.id, _is_public())
    ).one_or_none()
    if row is None:
        raise CommentNotFound()
    return _anchored_node(row)


def count_comments(session: Session, site: Site, article_keys: Sequence[str]) -> dict[str, int]:
    """Visible comments per article key, 0 for articles with no thread yet. One query."""
    keys = list(dict.fromkeys(article_keys))
    counts = dict.fromkeys(keys, 0)
    rows = session.execute(
        select(Thread.article_key, Thread.visible_count).where(
            Thread.site_id == site.id, Thread.article_key.in_(keys)
        )
    ).all()
    for key, visible in rows:
        counts[key] = visible
    return counts
