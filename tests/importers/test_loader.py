"""importers/loader.py: how any source's records are placed, counted and made idempotent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from comments_service.config import load_settings
from comments_service.importers import loader
from comments_service.importers.records import (
    Body,
    CommentRecord,
    ImportFileError,
    Skipped,
    ThreadRecord,
)
from comments_service.models import Comment, CommentStatus, Thread
from comments_service.services.posting import Author, CommentDraft, attach_point, post_comment
from tests.importers.conftest import assert_tree_consistent, run_import, thread_rows

T0 = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)


def thread(source_id: str = "t", key: str | None = "/a/") -> ThreadRecord:
    return ThreadRecord(source_id=source_id, article_key=key, title="A")


def comment(source_id: str, parent: str | None = None, *, minutes: int = 0,
            thread_id: str = "t", status: CommentStatus = CommentStatus.VISIBLE,
            **fields) -> CommentRecord:
    return CommentRecord(
        source_id=source_id, import_key=f"test:{source_id}", thread_source_id=thread_id,
        parent_source_id=parent, status=status, created_at=T0 + timedelta(minutes=minutes),
        body=fields.pop("body", Body(markdown=f"comment {source_id}")), **fields)


def keys_and_parents(session, site, key="/a/"):
    return [(r.key, r.depth, r.parent) for r in thread_rows(session, site, key)]


def test_a_reply_listed_before_its_parent_and_its_thread_is_nested_under_it(
    app, session, site_row
):
    records = [comment("2", "1", minutes=1), comment("3", "2", minutes=2), comment("1"), thread()]
    report = run_import(app, session, site_row, records)
    assert report.skipped == []
    assert keys_and_parents(session, site_row) == [
        ("test:1", 0, None), ("test:2", 1, "test:1"), ("test:3", 2, "test:2")]


def test_siblings_get_ids_in_date_order_whatever_the_file_order(app, session, site_row):
    records = [thread(), comment("1"), comment("late", "1", minutes=9),
               comment("early", "1", minutes=3)]
    run_import(app, session, site_row, records)
    assert [r.key for r in thread_rows(session, site_row, "/a/")] == [
        "test:1", "test:early", "test:late"]


def test_a_cycle_is_skipped_as_unreachable(app, session, site_row):
    report = run_import(app, session, site_row, [thread(), comment("a", "b"), comment("b", "a")])
    assert sorted(s.reason for s in report.skipped) == [
        "parent a is not reachable (an ancestor is missing, or a cycle)",
        "parent b is not reachable (an ancestor is missing, or a cycle)",
    ]
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_parent_in_another_thread_is_refused(app, session, site_row):
    records = [thread("t"), thread("u", "/b/"), comment("1"), comment("2", "1", thread_id="u")]
    report = run_import(app, session, site_row, records)
    assert [(s.source_id, s.reason) for s in report.skipped] == [
        ("2", "its parent 1 is in another thread")]


def test_a_body_longer_than_the_import_limit_is_skipped(app, session, site_row):
    records = [thread(), comment("1", body=Body(markdown="x" * 101)), comment("2")]
    report = run_import(app, session, site_row, records, max_body_chars=100)
    assert [(s.source_id, s.reason) for s in report.skipped] == [
        ("1", "body longer than 100 characters")]
    assert [r.key for r in thread_rows(session, site_row, "/a/")] == ["test:2"]


def test_items_an_importer_could_not_read_are_reported_as_given(app, session, site_row):
    report = run_import(app, session, site_row, [thread(), Skipped("9", "bad date 'x'")])
    assert report.skipped == [Skipped("9", "bad date 'x'")]


def test_a_failing_source_writes_nothing(app, session, site_row):
    def records():
        yield thread()
        yield comment("1")
        raise ImportFileError("broken at byte 100")

    with pytest.raises(ImportFileError):
        run_import(app, session, site_row, records())
    assert session.scalar(select(func.count()).select_from(Thread)) == 0


def test_a_run_cut_short_resumes_without_duplicates(app, session, site_row):
    records = [thread(), *[comment(str(n), minutes=n) for n in range(5)],
               *[comment(f"r{n}", str(n), minutes=10 + n) for n in range(5)]]

    class Interrupt(Exception):
        pass

    class StopAfterFirstBatch:
        def writing(self, total: int) -> None:
            pass

        def written(self, count: int) -> None:
            raise Interrupt

    settings = app.extensions["comments_settings"]
    with pytest.raises(Interrupt):
        loader.load(session, site_row, records, rules=settings.comments,
                    settings=replace(settings.importing, batch_size=3),
                    secret=app.config["SECRET_KEY"], progress=StopAfterFirstBatch())
    assert session.scalar(select(func.count()).select_from(Comment)) == 3
    report = run_import(app, session, site_row, records, batch_size=3)
    assert (report.already_present, report.comments_imported) == (3, 7)
    assert session.scalar(select(func.count()).select_from(Comment)) == 10
    assert_tree_consistent(session)


def test_importing_into_a_thread_with_comments_adds_to_its_counts(app, session, site_row):
    rules = load_settings(environ={}).comments
    author = Author(client_hash=None, secret=app.config["SECRET_KEY"])
    post_comment(session, site_row, CommentDraft(article_key="/a/", body="Native"), author,
                 rules, T0 + timedelta(days=1))
    session.commit()
    report = run_import(app, session, site_row, [thread(), comment("1"),
                                                 comment("2", "1", minutes=1)])
    assert report.threads_created == 0
    assert_tree_consistent(session)
    found = session.execute(select(Thread)).scalar_one()
    assert (found.total_count, found.visible_count) == (3, 3)
    assert found.last_comment_at == T0 + timedelta(days=1)


def test_a_reader_can_reply_to_an_imported_comment_and_counts_stay_right(
    app, session, site_row
):
    run_import(app, session, site_row, [thread(), comment("1")])
    imported = session.execute(select(Comment)).scalar_one()
    rules = load_settings(environ={}).comments
    author = Author(client_hash=None, secret=app.config["SECRET_KEY"])
    post_comment(session, site_row, CommentDraft(article_key="/a/", body="Re",
                                                 parent_id=imported.id), author, rules, T0)
    session.commit()
    assert_tree_consistent(session)


def test_an_imported_author_gets_the_avatar_a_native_post_would_give(app, session, site_row):
    rules = load_settings(environ={}).comments
    author = Author(client_hash=None, secret=app.config["SECRET_KEY"])
    posted = post_comment(session, site_row, CommentDraft(
        article_key="/b/", body="Native", author_name="Ann", author_email="ann@example.org"),
        author, rules, T0)
    session.commit()
    run_import(app, session, site_row, [thread(), comment(
        "1", author_name="Ann", author_email="ANN@example.org")])
    imported = session.execute(
        select(Comment).where(Comment.import_key == "test:1")).scalar_one()
    assert imported.avatar_seed == posted.comment.avatar_seed


def test_names_are_folded_to_one_line_and_cut_to_the_configured_length(
    app, session, site_row
):
    run_import(app, session, site_row, [thread(), comment("1", author_name="  A\nB\t" + "c" * 99)])
    [row] = thread_rows(session, site_row, "/a/")
    limit = app.extensions["comments_settings"].comments.max_name_chars
    assert row.author_name == ("A B " + "c" * 99)[:limit]


@pytest.mark.parametrize(
    ("parent_path", "cap", "expected"),
    [
        ("0000000001", 4, (1, "0000000001", 1)),
        ("0000000001.0000000002.0000000003.0000000004.0000000005", 4,
         (4, "0000000001.0000000002.0000000003.0000000004", 4)),
        ("0000000001.0000000002", 0, (None, "", 0)),
    ],
)
def test_attach_point_follows_the_posting_rule(parent_path, cap, expected):
    assert attach_point(parent_path, cap) == expected
