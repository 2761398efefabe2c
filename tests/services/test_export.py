"""services/export.py: a site written out as JSON, and read back by `import json` unchanged."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from comments_service.config import load_settings
from comments_service.importers.disqus import read_disqus
from comments_service.importers.isso import read_isso
from comments_service.importers.jsonfile import read_export
from comments_service.importers.records import ImportFileError
from comments_service.importers.wordpress import read_wordpress
from comments_service.models import Comment, PassageAnchor, Thread
from comments_service.services import sites
from comments_service.services.author_edits import delete_comment, edit_comment
from comments_service.services.export import EXPORT_FORMAT, export_site
from comments_service.services.passages import AnchorDraft
from comments_service.services.posting import (
    Author,
    CommentDraft,
    post_comment,
)
from comments_service.services.votes import Voter, cast_vote, rank_of
from tests.importers.conftest import DATA, assert_tree_consistent, isso_database, run_import

T0 = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
COMMENT_FIELDS = {
    "id", "parent_id", "reply_to_id", "status", "created_at", "edited_at", "author_name",
    "author_email", "author_website", "score", "upvotes", "downvotes", "anchor",
    "body_markdown", "body_html", "import_key",
}


def post_native_thread(app, session, site) -> None:
    """Comments posted here: a chain past the depth cap, an edit, a deleted placeholder."""
    rules = load_settings(environ={}).comments
    author = Author(client_hash="c0ffee", secret=app.config["SECRET_KEY"])

    def post(body, parent=None, minutes=0, **fields):
        draft = CommentDraft(article_key="native", body=body, parent_id=parent,
                             title="Native thread", url="https://news.example/native", **fields)
        posted = post_comment(session, site, draft, author, rules, T0 + timedelta(minutes=minutes),
                              passages=load_settings(environ={}).passages)
        session.commit()
        return posted

    parent = None
    for depth in range(7):  # the cap (4) moves the last two up beside their parent
        parent_id = parent.comment.id if parent else None
        parent = post(f"Depth *{depth}*", parent_id, depth, author_name=f"Level {depth}")
    edited = post("Frist", minutes=10, author_name="Typo", author_email="typo@example.org",
                  author_website="typo.example")
    edit_comment(session, site, edited.comment.id, edited.edit_token, "First, edited", rules,
                 T0 + timedelta(minutes=11))
    # passages and votes: an anchored comment with up and down votes travels whole.
    settings = load_settings(environ={})
    anchored = post("On the second paragraph", minutes=15, author_name="Quoter",
                    anchor=AnchorDraft("p-2", "the bridge opened", "In 1932 ", " to traffic"))
    voting = dataclasses.replace(settings.votes, downvotes=True, per_address=0)
    for n, value in enumerate((1, 1, 1, -1)):
        cast_vote(session, site, anchored.comment.id, value,
                  Voter(voter_key=f"reader-{n}", address_key=f"address-{n}"), voting,
                  T0 + timedelta(minutes=16))
    session.commit()
    regret = post("Regret", minutes=20, author_name="Regret")
    post("Reply to regret", regret.comment.id, 21, author_name="Replier")
    delete_comment(session, site, regret.comment.id, regret.edit_token, rules,
                   T0 + timedelta(minutes=22))
    session.commit()


@pytest.fixture
def full_site(app, session, site_row, tmp_path):
    """The news site with Disqus, WordPress and Isso imports and comments posted here."""
    for read, name in ((read_disqus, "disqus.xml"), (read_wordpress, "wordpress.xml")):
        with (DATA / name).open("rb") as source:
            run_import(app, session, site_row, read(source))
    run_import(app, session, site_row, read_isso(isso_database(tmp_path)))
    post_native_thread(app, session, site_row)
    return site_row


def exported(session, site) -> dict:
    out = io.StringIO()
    export_site(session, site, out, T0)
    return json.loads(out.getvalue())


def comparable(document: dict) -> list[dict]:
    """Threads by article key; comment ids replaced by their place in the thread."""
    threads = []
    for thread in sorted(document["threads"], key=lambda t: t["article_key"]):
        place = {c["id"]: n for n, c in enumerate(thread["comments"])}
        comments = [
            {**c, "id": place[c["id"]], "parent_id": place.get(c["parent_id"]),
             "reply_to_id": place.get(c["reply_to_id"]), "import_key": None}
            for c in thread["comments"]
        ]
        threads.append({**thread, "comments": comments})
    return threads


def test_export_has_the_documented_shape(app, session, full_site):
    document = exported(session, full_site)
    assert list(document)[:5] == ["format", "version", "site", "exported_at", "threads"]
    assert (document["format"], document["version"], document["site"]) == (
        EXPORT_FORMAT, 1, "news")
    assert len(document["threads"]) == 8
    for thread in document["threads"]:
        assert set(thread) == {"article_key", "title", "url", "is_locked", "created_at",
                               "comments"}
        seen = set()
        for comment in thread["comments"]:
            assert set(comment) == COMMENT_FIELDS
            assert comment["parent_id"] is None or comment["parent_id"] in seen  # parents first
            seen.add(comment["id"])
    assert sum(len(t["comments"]) for t in document["threads"]) == 40


def test_export_is_written_row_by_row(app, session, full_site):
    class Recorder(io.StringIO):
        writes = 0

        def write(self, text):
            Recorder.writes += 1
            return super().write(text)

    summary = export_site(session, full_site, Recorder(), T0)
    assert summary.comments == 40
    assert Recorder.writes > summary.comments


def test_export_then_import_into_another_site_changes_nothing(
    app, session, full_site, tmp_path
):
    original = exported(session, full_site)
    path = tmp_path / "news.json"
    path.write_text(json.dumps(original), encoding="utf-8")
    copy = sites.create_site(session, "copy", "Copy", [], T0)
    session.commit()
    with path.open("rb") as source:
        report = run_import(app, session, copy, read_export(source))
    assert report.skipped == []
    assert report.comments_imported == 40
    again = exported(session, copy)
    assert comparable(again) == comparable(original)
    # each comment keeps where it came from; those first posted on "news" say so
    before = [c for t in sorted(original["threads"], key=lambda t: t["article_key"])
              for c in t["comments"]]
    after = [c for t in sorted(again["threads"], key=lambda t: t["article_key"])
             for c in t["comments"]]
    assert [c["import_key"] for c in after] == [
        c["import_key"] or f"json:news:{c['id']}" for c in before]
    assert_tree_consistent(session)


def test_votes_and_passage_anchors_survive_the_round_trip(app, session, full_site, tmp_path):
    """An anchored comment with 3 up and 1 down votes keeps its anchor, counters and rank."""
    path = tmp_path / "news.json"
    path.write_text(json.dumps(exported(session, full_site)), encoding="utf-8")
    copy = sites.create_site(session, "copy", "Copy", [], T0)
    session.commit()
    with path.open("rb") as source:
        report = run_import(app, session, copy, read_export(source))
    assert report.anchors_dropped == 0
    [[original], [imported]] = [
        session.execute(
            select(Comment).join(Thread).where(Thread.site_id == site.id,
                                               Comment.body_markdown == "On the second paragraph")
        ).scalars().all()
        for site in (full_site, copy)
    ]
    assert (imported.upvotes, imported.downvotes, imported.score, imported.rank) == (
        original.upvotes, original.downvotes, original.score, original.rank) == (
        3, 1, 2, rank_of(3, 1))
    anchor = session.get(PassageAnchor, imported.id)
    assert (anchor.passage_key, anchor.quote, anchor.prefix, anchor.suffix) == (
        "p-2", "the bridge opened", "In 1932 ", " to traffic")
    assert anchor.thread_id == imported.thread_id


@pytest.mark.parametrize("anchor", [
    {"passage_key": "bad key!", "quote": "q"},
    {"passage_key": "p-1", "quote": "   "},
    {"passage_key": "p-1", "quote": "q" * 2001},
    {"passage_key": "p-1", "quote": "q", "prefix": 5},
    "not an object",
])
def test_an_unusable_anchor_is_left_out_and_counted(app, session, site_row, anchor):
    """A hostile or broken anchor in a file never stops the import: the comment comes in
    without it, and the report says how many were left out."""
    document = {"format": EXPORT_FORMAT, "version": 1, "site": "x", "threads": [
        {"article_key": "a", "comments": [
            {"id": 1, "parent_id": None, "status": "visible", "created_at": "2024-01-01T00:00:00Z",
             "body_markdown": "Hi", "body_html": "<p>Hi</p>", "anchor": anchor,
             "upvotes": -3, "downvotes": "x", "score": 4}]}]}
    source = io.BytesIO(json.dumps(document).encode())
    report = run_import(app, session, site_row, read_export(source))
    assert report.comments_imported == 1
    assert report.anchors_dropped == (0 if anchor == "not an object" else 1)
    comment = session.execute(select(Comment)).scalar_one()
    assert session.get(PassageAnchor, comment.id) is None
    # counters that are not usable fall back to the score, as for other sources
    assert (comment.upvotes, comment.downvotes) == (4, 0)


def test_capped_replies_keep_what_they_answered_through_the_round_trip(
    app, session, full_site, tmp_path
):
    copy = sites.create_site(session, "copy", "Copy", [], T0)
    session.commit()
    out = io.StringIO()
    export_site(session, full_site, out, T0)
    run_import(app, session, copy, read_export(io.BytesIO(out.getvalue().encode())))
    native = [t for t in comparable(exported(session, copy)) if t["article_key"] == "native"]
    chain = [(c["author_name"], c["parent_id"], c["reply_to_id"])
             for c in native[0]["comments"][:7]]
    assert chain == [
        ("Level 0", None, None), ("Level 1", 0, 0), ("Level 2", 1, 1), ("Level 3", 2, 2),
        ("Level 4", 3, 3), ("Level 5", 3, 4), ("Level 6", 3, 5),
    ]


def test_importing_the_same_export_twice_adds_nothing(app, session, full_site):
    out = io.StringIO()
    export_site(session, full_site, out, T0)
    copy = sites.create_site(session, "copy", "Copy", [], T0)
    session.commit()
    data = out.getvalue().encode()
    run_import(app, session, copy, read_export(io.BytesIO(data)))
    count = session.query(Comment).count()
    again = run_import(app, session, copy, read_export(io.BytesIO(data)))
    assert (again.comments_imported, again.already_present) == (0, 40)
    assert session.query(Comment).count() == count


def test_a_thread_whose_comments_were_all_removed_is_still_exported(app, session, site_row):
    rules = load_settings(environ={}).comments
    author = Author(client_hash=None, secret="s")
    posted = post_comment(session, site_row, CommentDraft(article_key="empty", body="x"),
                          author, rules, T0)
    delete_comment(session, site_row, posted.comment.id, posted.edit_token, rules, T0)
    session.commit()
    document = exported(session, site_row)
    assert [(t["article_key"], t["comments"]) for t in document["threads"]] == [("empty", [])]
    assert session.scalar(select(Comment.id)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "other", "version": 1, "threads": []}', "not a comments-service/export"),
        ('{"format": "comments-service/export", "version": 2, "threads": []}', "version 1"),
        ('{"threads": []}', "not a comments-service/export"),
        ('{"format": "comments-service/export", "version": 1, "threads": [', "not valid JSON"),
    ],
)
def test_a_file_that_is_not_our_export_is_refused(text, message):
    with pytest.raises(ImportFileError, match=message):
        list(read_export(io.BytesIO(text.encode())))


def test_unreadable_comments_in_an_export_are_skipped_with_reasons(app, session, site_row):
    document = {
        "format": EXPORT_FORMAT, "version": 1, "site": "old", "threads": [{
            "article_key": "a", "title": None, "url": None, "is_locked": False,
            "created_at": "2024-01-01T00:00:00+00:00",
            "comments": [
                {"id": 1, "status": "visible", "created_at": "2024-01-01T00:00:00+00:00",
                 "body_markdown": "ok", "body_html": "<p>ok</p><script>x</script>"},
                {"id": 2, "status": "shouting", "created_at": "2024-01-01T00:00:00+00:00"},
                {"id": 3, "status": "visible", "created_at": "soon"},
                {"status": "visible"},
                "not an object",
            ],
        }],
    }
    report = run_import(app, session, site_row,
                        read_export(io.BytesIO(json.dumps(document).encode())))
    assert [(s.source_id, s.reason) for s in report.skipped] == [
        ("2", "unknown status 'shouting'"),
        ("3", "bad date 'soon'"),
        ("comment in thread thread-1", "comment without an id"),
        ("comment in thread thread-1", "not an object"),
    ]
    assert session.scalar(select(Comment.body_html)) == "<p>ok</p>"
