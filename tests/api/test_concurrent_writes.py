"""Replies, votes and moderation on one comment at the same moment, on PostgreSQL: each
locks the comment and its thread, and none may wait on another forever (a deadlock
aborts one of them) or lose a counter update."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from comments_service.extensions import db
from tests.conftest import Api, add_moderator


def test_replies_votes_and_moderation_on_one_comment_at_once_all_succeed(
    make_app: Any, site_factory: Any,
) -> None:
    app = make_app(votes={"per_address": 0})
    if app.extensions["comments_front_engine"].dialect.name != "postgresql":
        pytest.skip("real concurrent writers need PostgreSQL (SQLite has one writer)")
    api: Api = site_factory(app)
    target = api.posted_id("the comment everyone answers")
    other = api.posted_id("another comment")
    moderator = add_moderator(app, "mod@news.example", "news")
    rounds = 8
    statuses: dict[str, list[int]] = {"reply": [], "vote": [], "moderate": []}
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def reply() -> None:
        client = app.test_client()
        for number in range(rounds):
            start.wait(timeout=30)
            response = client.post("/api/v1/sites/news/comments", json={
                "article": "a1", "body": f"reply number {number}", "parent_id": target})
            statuses["reply"].append(response.status_code)

    def vote() -> None:
        client = app.test_client()
        for number in range(rounds):
            start.wait(timeout=30)
            # Later and later into the reply's transaction, round by round.
            time.sleep(0.01 * (number % 8))
            token = f"0b6f7c1e-2a41-4e0e-9a0e-{number:012d}"
            response = client.put(f"/api/v1/sites/news/comments/{target}/vote",
                                  json={"value": 1}, headers={"X-Reader-Token": token})
            statuses["vote"].append(response.status_code)

    def moderate() -> None:
        client = app.test_client()
        for number in range(rounds):
            start.wait(timeout=30)
            action = "pin" if number % 2 == 0 else "unpin"
            response = client.post(f"/api/v1/moderation/comments/{target}/{action}",
                                   headers=moderator.headers, json={})
            statuses["moderate"].append(response.status_code)

    def guarded(work: Any) -> Any:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(exc)
                start.abort()
        return run

    def widen_the_window(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Each writer holds what it locked so far a little longer before asking for
        # more, so writers that ask in different orders would meet, every round.
        if statement.startswith(("UPDATE comments", "UPDATE threads")):
            time.sleep(0.02)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", widen_the_window)
    workers = [threading.Thread(target=guarded(work)) for work in (reply, vote, moderate)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        event.remove(engine, "before_cursor_execute", widen_the_window)
    assert failures == []
    assert statuses == {"reply": [201] * rounds, "vote": [200] * rounds,
                        "moderate": [200] * rounds}
    page = api.thread().get_json()
    answered = next(c for c in page["comments"] if c["id"] == target)
    assert answered["replies_total"] == rounds
    assert answered["upvotes"] == rounds
    assert other in [c["id"] for c in page["comments"]]
