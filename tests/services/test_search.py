"""services/search.py: moderators find any comment of their sites, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from comments_service.errors import InvalidCursor
from comments_service.models import Site
from comments_service.services.posting import CommentDraft, post_comment
from comments_service.services.search import CommentSearch, search_comments
from comments_service.services.sites import create_site
from tests.services.test_moderation import RULES, START, act, actor_for, author


def _post(session: Session, site: Site, body: str, name: str | None = None, *,
          article: str = "a1", minute: int = 0) -> int:
    draft = CommentDraft(article_key=article, body=body, author_name=name)
    posted = post_comment(session, site, draft, author(f"net-{minute}"), RULES,
                          START + timedelta(minutes=minute))
    session.commit()
    return posted.comment.id


def _ids(session: Session, site_ids: set[int], cursor: str | None = None, limit: int = 50,
         **filters) -> list[int]:
    return [item.id for item in search_comments(session, site_ids, CommentSearch(**filters),
                                                cursor=cursor, limit=limit).items]


@pytest.fixture
def corpus(session: Session, site_row: Site) -> dict[str, int]:
    ids = {
        "river": _post(session, site_row, "The River rose 100% overnight", "Ann", minute=1),
        "bridge": _post(session, site_row, "The bridge held", "Bob Stone", article="a2",
                        minute=2),
        "spam": _post(session, site_row, "cheap pills river_side", "Spammer", minute=3),
        "late": _post(session, site_row, "Rivers again", "ann-marie", minute=60 * 24 * 3),
    }
    act(session, actor_for(site_row), ids["spam"], "hide")
    return ids


def test_a_visible_comment_is_found_by_its_words_case_insensitively(
    session, site_row, corpus
) -> None:
    assert _ids(session, {site_row.id}, text="RIVER") == [
        corpus["late"], corpus["spam"], corpus["river"]]
    assert _ids(session, {site_row.id}, text="100%") == [corpus["river"]]  # % is literal
    assert _ids(session, {site_row.id}, text="river_") == [corpus["spam"]]  # _ is literal


def test_filters_combine(session, site_row, corpus) -> None:
    assert _ids(session, {site_row.id}, author="ann") == [corpus["late"], corpus["river"]]
    assert _ids(session, {site_row.id}, article="a2") == [corpus["bridge"]]
    assert _ids(session, {site_row.id}, status="hidden") == [corpus["spam"]]
    assert _ids(session, {site_row.id}, text="river", status="visible",
                since=START, until=START + timedelta(days=1)) == [corpus["river"]]
    assert _ids(session, {site_row.id}, since=START + timedelta(days=2)) == [corpus["late"]]


def test_another_sites_comments_are_never_found(session, site_row, corpus) -> None:
    other = create_site(session, "sports", "Sports", [], START)
    session.commit()
    _post(session, other, "river race", minute=5)
    assert corpus["river"] not in _ids(session, {other.id}, text="river")
    assert len(_ids(session, {other.id}, text="river")) == 1


def test_pages_by_keyset_without_gaps_or_repeats(session, site_row, corpus) -> None:
    seen: list[int] = []
    cursor = None
    for _ in range(10):  # bounded
        page = search_comments(session, {site_row.id}, CommentSearch(), cursor=cursor, limit=1)
        seen += [item.id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [corpus["late"], corpus["spam"], corpus["bridge"], corpus["river"]]


def test_a_foreign_cursor_is_refused(session, site_row, corpus) -> None:
    for cursor in ["12", "not-a-date~3", "2026-01-01T00:00:00~x", "2026-01-01T00:00:00~1"]:
        with pytest.raises(InvalidCursor):
            _ids(session, {site_row.id}, cursor=cursor)


def test_a_page_is_two_queries_whatever_its_size(session, site_row, corpus) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = session.get_bind()
    site_ids = {site_row.id}
    event.listen(engine, "before_cursor_execute", record)
    try:
        _ids(session, site_ids, limit=50)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 2  # the page, then the flags of all its comments
