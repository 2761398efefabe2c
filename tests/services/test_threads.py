"""services/threads.py: pages of the tree, cursors, sorts, counts and query budgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from comments_service.config import load_settings
from comments_service.errors import CommentNotFound, InvalidCursor
from comments_service.models import Comment, Site, Thread, path_segment
from comments_service.services.posting import Author, CommentDraft, post_comment
from comments_service.services.threads import (
    CommentNode,
    count_comments,
    find_thread,
    read_replies,
    read_thread,
)
from tests.conftest import count_queries

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AUTHOR = Author(client_hash="c0ffee", secret="s3cret")
RULES = load_settings(environ={}).comments


def add(session: Session, site: Site, body: str, parent: int | None = None,
        minute: int = 0, article: str = "a1") -> int:
    draft = CommentDraft(article_key=article, body=body, parent_id=parent)
    posted = post_comment(session, site, draft, AUTHOR, RULES, START + timedelta(minutes=minute))
    session.commit()
    return posted.comment.id


def page(session: Session, site: Site, article: str = "a1", **kwargs: object):
    options = {"sort": "oldest", "cursor": None, "limit": 20, "replies_per_comment": 5}
    options.update(kwargs)
    return read_thread(session, find_thread(session, site, article), **options)  # type: ignore[arg-type]


def bodies(nodes: list[CommentNode]) -> list[str]:
    return [n.body_html.removeprefix("<p>").removesuffix("</p>") for n in nodes]


def test_unknown_article_reads_as_empty_page(session, site_row) -> None:
    result = page(session, site_row, "never-commented")
    assert (result.thread, result.comments, result.next_cursor) == (None, [], None)


def test_replies_are_nested_under_their_parents(session, site_row) -> None:
    top = add(session, site_row, "top")
    one = add(session, site_row, "one", top, 1)
    add(session, site_row, "two", one, 2)
    add(session, site_row, "sibling", top, 3)
    [root] = page(session, site_row).comments
    assert bodies(root.replies) == ["one", "sibling"]
    assert bodies(root.replies[0].replies) == ["two"]
    assert root.replies_total == 3
    assert root.replies_cursor is None


def test_pages_follow_the_cursor_without_gaps_or_repeats(session, site_row) -> None:
    for i in range(7):
        add(session, site_row, f"c{i}", minute=i)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        result = page(session, site_row, limit=3, cursor=cursor)
        seen += bodies(result.comments)
        pages += 1
        cursor = result.next_cursor
        if cursor is None:
            break
    assert seen == [f"c{i}" for i in range(7)]
    assert pages == 3


def test_newest_sort_reverses_and_pages_backwards(session, site_row) -> None:
    for i in range(5):
        add(session, site_row, f"c{i}", minute=i)
    first = page(session, site_row, sort="newest", limit=2)
    second = page(session, site_row, sort="newest", limit=2, cursor=first.next_cursor)
    assert bodies(first.comments) + bodies(second.comments) == ["c4", "c3", "c2", "c1"]


def test_top_sort_ranks_by_vote_rank_then_newest(session, site_row) -> None:
    """top orders by the stored Wilson rank (services/votes.py), newest first among equals."""
    ids = [add(session, site_row, f"c{i}", minute=i) for i in range(4)]
    session.execute(update(Comment).where(Comment.id == ids[1]).values(rank=500_000))
    session.execute(update(Comment).where(Comment.id == ids[2]).values(rank=500_000))
    session.commit()
    first = page(session, site_row, sort="top", limit=2)
    second = page(session, site_row, sort="top", limit=2, cursor=first.next_cursor)
    assert bodies(first.comments) == ["c2", "c1"]
    assert bodies(second.comments) == ["c3", "c0"]


def test_cursor_of_another_sort_is_refused(session, site_row) -> None:
    for i in range(3):
        add(session, site_row, f"c{i}", minute=i)
    cursor = page(session, site_row, limit=1).next_cursor
    with pytest.raises(InvalidCursor):
        page(session, site_row, sort="newest", cursor=cursor)


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "bm90IGpzb24", "W10", "WyJvbGRlc3QiLCJub3QtYS1kYXRlIiwxXQ",
     "WyJvbGRlc3QiLCIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ"],
    ids=["not-base64", "not-json", "empty-list", "bad-date", "naive-date"],
)
def test_malformed_cursors_are_refused(session, site_row, cursor) -> None:
    add(session, site_row, "c")
    with pytest.raises(InvalidCursor):
        page(session, site_row, cursor=cursor)


def test_replies_beyond_the_page_limit_come_with_a_cursor(session, site_row) -> None:
    top = add(session, site_row, "top")
    for i in range(7):
        add(session, site_row, f"r{i}", top, i + 1)
    [root] = page(session, site_row, replies_per_comment=3).comments
    assert bodies(root.replies) == ["r0", "r1", "r2"]
    assert root.replies_total == 7
    assert root.replies_cursor is not None

    more = read_replies(session, site_row, top, cursor=root.replies_cursor, limit=3)
    assert bodies(more.comments) == ["r3", "r4", "r5"]
    rest = read_replies(session, site_row, top, cursor=more.next_cursor, limit=3)
    assert bodies(rest.comments) == ["r6"]
    assert rest.next_cursor is None


def test_replies_page_keeps_depth_first_order_across_levels(session, site_row) -> None:
    top = add(session, site_row, "top")
    a = add(session, site_row, "a", top, 1)
    add(session, site_row, "b", top, 2)
    add(session, site_row, "a1", a, 3)
    [root] = page(session, site_row, replies_per_comment=2).comments
    assert bodies(root.replies) == ["a"]
    assert bodies(root.replies[0].replies) == ["a1"]
    more = read_replies(session, site_row, top, cursor=root.replies_cursor, limit=10)
    assert [(n.body_html, n.parent_id) for n in more.comments] == [("<p>b</p>", top)]


def test_replies_cursor_for_another_comment_is_refused(session, site_row) -> None:
    one = add(session, site_row, "one")
    two = add(session, site_row, "two", minute=1)
    for i in range(3):
        add(session, site_row, f"r{i}", one, i + 2)
    [root, _] = page(session, site_row, replies_per_comment=1).comments
    with pytest.raises(InvalidCursor):
        read_replies(session, site_row, two, cursor=root.replies_cursor, limit=2)


def test_replies_of_a_reply_id_are_not_found(session, site_row) -> None:
    top = add(session, site_row, "top")
    reply = add(session, site_row, "re", top, 1)
    with pytest.raises(CommentNotFound):
        read_replies(session, site_row, reply, cursor=None, limit=5)


def test_hidden_leaf_is_left_out_and_hidden_parent_becomes_placeholder(session, site_row) -> None:
    top = add(session, site_row, "top")
    leaf = add(session, site_row, "leaf", minute=1)
    add(session, site_row, "re", top, 2)
    session.execute(update(Comment).where(Comment.id.in_([top, leaf])).values(status="hidden"))
    session.commit()
    [root] = page(session, site_row).comments
    assert root.id == top
    assert root.is_placeholder
    assert bodies(root.replies) == ["re"]


def test_counts_cover_many_articles_in_one_query(app, session, site_row) -> None:
    add(session, site_row, "x", article="one")
    add(session, site_row, "y", article="one", minute=1)
    add(session, site_row, "z", article="two")
    assert site_row.id  # loaded before counting: the view has its site already
    with count_queries(app) as statements:
        counts = count_comments(session, site_row, ["one", "two", "none", "one"])
    assert counts == {"one": 2, "two": 1, "none": 0}
    assert len(statements) == 1


def _seed_big_thread(session: Session, site: Site, article: str, total: int) -> None:
    """Bulk-insert a thread: a third of the comments are replies spread over roots."""
    thread = Thread(site_id=site.id, article_key=article, is_locked=False, total_count=total,
                    visible_count=total, version=1, created_at=START)
    session.add(thread)
    session.flush()
    roots = total - total // 3
    replies = total - roots
    fan_out = min(50, roots)
    per_root = {r: replies // fan_out + (1 if r <= replies % fan_out else 0)
                for r in range(1, fan_out + 1)}
    rows = []
    for i in range(1, roots + 1):
        kids = per_root.get(i, 0)
        rows.append({"id": i, "thread_id": thread.id, "parent_id": None, "root_id": i,
                     "depth": 0, "path": path_segment(i), "body_html": f"<p>{i}</p>",
                     "created_at": START + timedelta(seconds=i),
                     "child_count": kids, "reply_count": kids})
    for j in range(replies):
        ident = roots + 1 + j
        root = 1 + (j % fan_out)
        rows.append({"id": ident, "thread_id": thread.id, "parent_id": root, "root_id": root,
                     "depth": 1, "path": f"{path_segment(root)}.{path_segment(ident)}",
                     "body_html": f"<p>{ident}</p>",
                     "created_at": START + timedelta(seconds=ident),
                     "child_count": 0, "reply_count": 0})
    defaults = {"status": "visible", "score": 0, "author_name": "A",
                "avatar_seed": "x", "body_markdown": "", "reply_to_id": None}
    for start in range(0, len(rows), 5000):
        chunk = [{**defaults, **row} for row in rows[start:start + 5000]]
        session.execute(insert(Comment), chunk)
    session.commit()


@pytest.mark.parametrize("total", [10, 100_000])
def test_page_of_any_thread_size_takes_the_same_few_queries(app, session, site_row, total):
    _seed_big_thread(session, site_row, "big", total)
    assert site_row.id  # loaded before counting: the view has its site already
    with count_queries(app) as statements:
        result = page(session, site_row, "big")
    assert len(result.comments) == min(20, total - total // 3)
    assert len(statements) == 3, statements  # thread row, top level, replies
    assert session.execute(select(Thread.total_count)).scalar_one() == total
