"""Helpers for importer tests: run the loader on a site, read back what it wrote."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.importers import loader
from comments_service.importers.loader import ImportReport
from comments_service.importers.records import Record
from comments_service.models import Comment, CommentStatus, Site, Thread, path_segment

DATA = Path(__file__).parent / "data"


def run_import(app: Flask, session: Session, site: Site, records: Iterable[Record],
               **importing: Any) -> ImportReport:
    """The loader as the CLI runs it, with [importing] settings changed as given."""
    settings = app.extensions["comments_settings"]
    options = settings.importing
    if importing:
        options = dataclasses.replace(options, **importing)
    return loader.load(session, site, records, rules=settings.comments, settings=options,
                       secret=app.config["SECRET_KEY"])


def isso_database(tmp_path: Path, script: str = "isso.sql") -> Path:
    """An Isso SQLite file built from one of the hand-written SQL fixtures."""
    path = tmp_path / "comments.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((DATA / script).read_text(encoding="utf-8"))
    connection.close()
    return path


@dataclass(frozen=True)
class Row:
    key: str | None
    depth: int
    parent: str | None
    reply_to: str | None
    status: str
    author_name: str | None
    author_email: str | None
    author_website: str | None
    created_at: datetime
    edited_at: datetime | None
    score: int
    body_markdown: str
    body_html: str


def thread_rows(session: Session, site: Site, article_key: str) -> list[Row]:
    """A thread's comments in display (path) order, parents named by import_key."""
    thread = session.execute(
        select(Thread).where(Thread.site_id == site.id, Thread.article_key == article_key)
    ).scalar_one()
    comments = session.execute(
        select(Comment).where(Comment.thread_id == thread.id).order_by(Comment.path)
    ).scalars().all()
    keys = {c.id: c.import_key for c in comments}
    return [
        Row(c.import_key, c.depth, keys.get(c.parent_id), keys.get(c.reply_to_id), c.status,
            c.author_name, c.author_email, c.author_website, c.created_at, c.edited_at,
            c.score, c.body_markdown, c.body_html)
        for c in comments
    ]


def by_key(rows: list[Row]) -> dict[str | None, Row]:
    return {row.key: row for row in rows}


def article_keys(session: Session, site: Site) -> set[str]:
    return set(session.scalars(select(Thread.article_key).where(Thread.site_id == site.id)))


def assert_tree_consistent(session: Session) -> None:
    """Every kept-up-to-date column agrees with the rows, as services/posting.py keeps them.

    Paths extend their parent's path by the own id, root ids name the top of the
    path, depth is the path's length, child_count counts direct children,
    reply_count (top level) counts visible replies, and the thread's counts are
    the non-deleted and the visible comments, its last_comment_at the newest.
    """
    session.expire_all()
    comments = {c.id: c for c in session.scalars(select(Comment))}
    children: Counter[int] = Counter()
    visible_replies: Counter[int] = Counter()
    for c in comments.values():
        segments = c.path.split(".")
        assert segments[-1] == path_segment(c.id), c.path
        assert c.depth == len(segments) - 1
        assert c.root_id == int(segments[0])
        if c.parent_id is None:
            assert c.depth == 0
        else:
            parent = comments[c.parent_id]
            assert c.path == f"{parent.path}.{path_segment(c.id)}"
            assert c.thread_id == parent.thread_id
            children[c.parent_id] += 1
            if c.status == CommentStatus.VISIBLE.value:
                visible_replies[c.root_id] += 1
    for c in comments.values():
        assert c.child_count == children[c.id], (c.id, c.child_count, children[c.id])
        if c.depth == 0:
            assert c.reply_count == visible_replies[c.id], c.id
    for thread in session.scalars(select(Thread)):
        own = [c for c in comments.values() if c.thread_id == thread.id]
        assert thread.total_count == sum(c.status != "deleted" for c in own)
        assert thread.visible_count == sum(c.status == "visible" for c in own)
        if own:
            assert thread.last_comment_at == max(c.created_at for c in own)


@pytest.fixture
def data() -> Path:
    return DATA
