"""events.py: one bus per app. Services emit into the app's bus; notifications and live
updates subscribe; two apps in one process never see each other's events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.config import load_settings
from comments_service.events import EXTENSION, CommentChange, CommentEvent, EventBus
from comments_service.extensions import db
from comments_service.models import Comment, OutboxMessage
from comments_service.services import moderation, posting, sites, webhooks
from comments_service.services.moderation import CommentAction
from comments_service.services.moderators import Actor

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SETTINGS = load_settings(environ={})


def test_two_buses_keep_their_subscribers_apart() -> None:
    first, second = EventBus(), EventBus()
    heard: list[str] = []
    first.subscribe(lambda _s, change: heard.append(f"first {change.kind}"),
                    CommentEvent.APPROVED)
    second.subscribe(lambda _s, change: heard.append(f"second {change.kind}"),
                     CommentEvent.HIDDEN)
    comment = Comment()
    first.emit(None, CommentChange(CommentEvent.APPROVED, comment, NOW))  # type: ignore[arg-type]
    first.emit(None, CommentChange(CommentEvent.HIDDEN, comment, NOW))  # type: ignore[arg-type]
    second.emit(None, CommentChange(CommentEvent.APPROVED, comment, NOW))  # type: ignore[arg-type]
    assert heard == ["first approved"]


def _held_comment_on_a_site_with_a_webhook(app: Flask, slug: str) -> tuple[int, Actor]:
    """A pre-moderated site with one webhook, and a comment held on it."""
    with app.app_context():
        site = sites.create_site(db.session, slug, slug, ["https://news.example"], NOW)
        site.settings = {"premoderation": True}
        webhooks.add_webhook(db.session, site, f"https://{slug}.example/hook")
        posted = posting.post_comment(
            db.session, site, posting.CommentDraft(article_key="a1", body="Held"),
            posting.Author(client_hash=None, secret="s"), SETTINGS.comments, NOW,
            events=app.extensions[EXTENSION],
        )
        db.session.commit()
        actor = Actor(moderator_id=None, name="mod", site_ids=frozenset({site.id}))
        return posted.comment.id, actor


def _approve_and_count_webhook_rows(app: Flask, comment_id: int, actor: Actor) -> int:
    with app.app_context():
        moderation.moderate_comment(db.session, actor, comment_id, CommentAction.APPROVE, None,
                                    SETTINGS.moderation, NOW, app.extensions[EXTENSION])
        db.session.commit()
        rows = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook")
        ).scalars().all()
        return sum(1 for row in rows if row.payload["comment_id"] == comment_id)


def test_an_app_built_later_with_notifications_off_leaves_the_first_apps_approvals_announced(
    make_app: Any,
) -> None:
    """Two apps in one process: each approval is announced by its own app's subscribers."""
    announcing = make_app()
    silent = make_app(notifications={"enabled": False})
    assert announcing.extensions[EXTENSION] is not silent.extensions[EXTENSION]

    first, actor = _held_comment_on_a_site_with_a_webhook(announcing, "first")
    second, other_actor = _held_comment_on_a_site_with_a_webhook(silent, "second")

    assert _approve_and_count_webhook_rows(announcing, first, actor) == 1
    assert _approve_and_count_webhook_rows(silent, second, other_actor) == 0


def test_a_subscriber_sees_the_comment_flushed_in_the_emitting_transaction(
    session: Session, site_row: Any
) -> None:
    """Subscribers run inside the service's transaction: the new row is there to read."""
    bus = EventBus()
    seen: list[tuple[str, str]] = []

    def subscriber(inner: Session, change: CommentChange) -> None:
        status = inner.scalar(select(Comment.status).where(Comment.id == change.comment.id))
        seen.append((change.kind.value, status or "missing"))

    bus.subscribe(subscriber, CommentEvent.PUBLISHED, CommentEvent.HELD)
    posting.post_comment(session, site_row, posting.CommentDraft(article_key="a1", body="Hi"),
                         posting.Author(client_hash=None, secret="s"), SETTINGS.comments, NOW,
                         events=bus)
    assert seen == [("published", "visible")]
