"""loader.py across batches: bodies sanitized in worker processes one batch ahead, threads
and reply chains that straddle batches, and a file imported in two goes."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from comments_service.config import CommentSettings
from comments_service.importers import sanitizing
from comments_service.importers.sanitizing import BodySanitizer
from comments_service.importers.wordpress import read_wordpress
from comments_service.models import Comment, Site, Thread
from comments_service.services import sites
from tests.importers.conftest import assert_tree_consistent, run_import

_BODIES = [
    "plain words here",
    "two\n\nparagraphs, with a line\nbreak",
    '<b>bold</b> and <a href="https://example.org/x" target="_blank">a link</a>',
    "<pre>def f():\n    return 1</pre>\n\nafter the code",
    "see www.example.org &amp; <i>more</i> <script>alert(1)</script>",
    "<blockquote>quoted</blockquote>\n<ul><li>one</li><li>two</li></ul>",
]


def _wxr(posts: int, per_post: int, seed: int = 5) -> bytes:
    """A WordPress export: replies to earlier comments of the same post, varied bodies."""
    rng = random.Random(seed)
    out = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
           'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>T</title>'
           "<link>https://batch.example</link>"]
    number = 0
    for post in range(1, posts + 1):
        out.append(f"<item><title>Post {post}</title><link>https://batch.example/{post}/</link>"
                   f"<wp:post_id>{post}</wp:post_id><wp:status>publish</wp:status>")
        ids: list[int] = []
        for _ in range(per_post):
            number += 1
            parent = rng.choice(ids) if ids and rng.random() < 0.5 else 0
            approved = rng.choice(["1", "1", "1", "0", "trash"]) if parent == 0 else "1"
            out.append(
                f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
                f"<wp:comment_author>Reader {number % 7}</wp:comment_author>"
                f"<wp:comment_author_email>r{number % 7}@example.org</wp:comment_author_email>"
                f"<wp:comment_date_gmt>2021-03-0{1 + number % 9} 10:{number % 60:02d}:00"
                "</wp:comment_date_gmt>"
                f"<wp:comment_content><![CDATA[{rng.choice(_BODIES)} {number}]]>"
                f"</wp:comment_content><wp:comment_approved>{approved}</wp:comment_approved>"
                f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>")
            ids.append(number)
        out.append("</item>")
    out.append("</channel></rss>")
    return "".join(out).encode()


def _second_site(session: Session) -> Site:
    site = sites.create_site(session, "other", "Other", ["https://other.example"],
                             datetime.now(UTC))
    session.commit()
    return site


def _shape(session: Session, site: Site) -> list[tuple[Any, ...]]:
    """Every comment of the site, as import key, parent's key, depth and stored fields."""
    comments = session.scalars(
        select(Comment).join(Thread).where(Thread.site_id == site.id)
    ).all()
    keys = {c.id: c.import_key for c in comments}
    return sorted(
        (c.import_key, keys.get(c.parent_id), c.depth, c.status, c.author_name,
         c.author_email, c.body_markdown, c.body_html, c.child_count, c.reply_count)
        for c in comments
    )


def test_bodies_sanitized_by_worker_processes_are_the_ones_sanitized_here(
    app, session, site_row, monkeypatch
):
    """An import whose batches go to the process pool stores exactly what an import that
    sanitizes in its own process stores: same bodies, names, nesting and counters."""
    started: list[int] = []
    context = sanitizing._context

    def counted_context() -> Any:
        started.append(1)
        return context()

    monkeypatch.setattr(sanitizing, "_context", counted_context)
    export = _wxr(posts=4, per_post=150)
    here = run_import(app, session, site_row, read_wordpress(io.BytesIO(export)),
                      sanitize_processes=0)
    assert not started
    other = _second_site(session)
    pooled = run_import(app, session, other, read_wordpress(io.BytesIO(export)),
                        sanitize_processes=2, batch_size=sanitizing.MIN_POOLED * 2)
    assert started  # the batches did go to worker processes
    assert pooled.comments_imported == here.comments_imported > 500
    assert _shape(session, other) == _shape(session, site_row)
    assert_tree_consistent(session)


def _rules(app: Any) -> CommentSettings:
    return app.extensions["comments_settings"].comments


def test_the_sanitizer_returns_results_in_the_order_given(app):
    """Bodies shared out to workers in pieces come back in the order they were sent."""
    sources = [(f"<p>n {n} <b>b</b></p>", None, False) for n in range(300)]
    with BodySanitizer(_rules(app), 2, min_pooled=1) as sanitizer:
        results = sanitizer.submit(sources)()
    assert results == sanitizing.sanitized(sources, _rules(app))
    assert results[7] == ("n 7 b", "<p>n 7 <strong>b</strong></p>")


def test_a_broken_pool_falls_back_to_sanitizing_here(app, monkeypatch):
    """A worker that dies does not lose the batch: it is sanitized in the importer's own
    process, and the import goes on without workers."""
    sources = [("<p>x</p>", None, False)] * 100
    with BodySanitizer(_rules(app), 2, min_pooled=1) as sanitizer:
        monkeypatch.setattr(sanitizing, "sanitized", _dies_in_worker)
        waiting = sanitizer.submit(sources)
        monkeypatch.undo()
        assert waiting() == [("x", "<p>x</p>")] * 100
        assert sanitizer.processes == 0


def _dies_in_worker(*_: Any) -> Any:
    import os

    os._exit(3)


@pytest.mark.parametrize("batch_size", [1, 2, 7])
def test_threads_and_reply_chains_straddling_batches_import_whole(
    app, session, site_row, batch_size
):
    """Batches that end in the middle of a thread, and replies whose parent was written
    in an earlier batch, give the same comments as one batch holding everything."""
    export = _wxr(posts=3, per_post=9, seed=11)
    small = run_import(app, session, site_row, read_wordpress(io.BytesIO(export)),
                       batch_size=batch_size, sanitize_processes=0)
    other = _second_site(session)
    whole = run_import(app, session, other, read_wordpress(io.BytesIO(export)),
                       batch_size=1000, sanitize_processes=0)
    assert small.comments_imported == whole.comments_imported > 20
    assert any(row[1] is not None for row in _shape(session, site_row))  # replies exist
    assert _shape(session, site_row) == _shape(session, other)
    assert_tree_consistent(session)


def test_a_file_imported_in_two_goes_ends_as_one_import(app, session, site_row):
    """An import cut short (here: the first posts only) and then run on the whole file
    writes only what is missing; replies find parents written by the first run."""
    whole_file = _wxr(posts=4, per_post=12, seed=3)
    first_posts = whole_file.split(b"<item>")
    cut = b"<item>".join(first_posts[:3]) + b"</channel></rss>"
    first = run_import(app, session, site_row, read_wordpress(io.BytesIO(cut)), batch_size=5,
                       sanitize_processes=0)
    second = run_import(app, session, site_row, read_wordpress(io.BytesIO(whole_file)),
                        batch_size=5, sanitize_processes=0)
    other = _second_site(session)
    once = run_import(app, session, other, read_wordpress(io.BytesIO(whole_file)),
                      sanitize_processes=0)
    assert first.comments_imported > 0
    assert second.already_present == first.comments_imported
    assert first.comments_imported + second.comments_imported == once.comments_imported
    assert _shape(session, site_row) == _shape(session, other)
    assert_tree_consistent(session)


def test_imported_ids_follow_every_id_ever_given_and_rise_with_the_date(
    app, session, site_row
):
    """A batch's rows take ids after the newest ever used (a deleted comment's id is never
    given again, as for a post) and in date order, so siblings show oldest first."""
    export = _wxr(posts=2, per_post=5, seed=2)
    run_import(app, session, site_row, read_wordpress(io.BytesIO(export)),
               sanitize_processes=0)
    newest = session.scalar(select(func.max(Comment.id)))
    session.execute(delete(Comment).where(Comment.id == newest))
    session.commit()
    other = _second_site(session)
    run_import(app, session, other, read_wordpress(io.BytesIO(export)), batch_size=4,
               sanitize_processes=0)
    again = session.execute(
        select(Comment.id, Comment.created_at, Comment.depth).join(Thread)
        .where(Thread.site_id == other.id).order_by(Comment.id)
    ).all()
    assert again[0].id > newest
    for depth in {row.depth for row in again}:
        dates = [row.created_at for row in again if row.depth == depth]
        assert dates == sorted(dates)
