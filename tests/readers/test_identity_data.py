"""What signing in gives a reader besides the mark: notifications to the verified address
without a confirmation mail, and their own data to read and erase (services/identity_data.py,
readers.confirm_verified)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from comments_service.extensions import db
from comments_service.models import OutboxMessage
from tests.conftest import Api, ModeratorLogin
from tests.readers.conftest import sso_sign_in


def _outbox(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id))
        return [tuple(row) for row in rows]


def test_a_verified_address_gets_notifications_without_a_confirmation_mail(
    app: Flask, client: FlaskClient, sso_site: str
) -> None:
    """The site vouches for its reader's email: asking for replies queues no confirmation,
    and a reply by someone else is mailed to them at once."""
    reader = sso_sign_in(client, email="ann@example.org")
    posted = client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                         json={"article": "a1", "body": "Tell me", "notify": "replies"})
    assert posted.status_code == 201, posted.get_json()
    assert _outbox(app) == []
    Api(client, sso_site).posted_id("A reply", author_name="Bob",
                                    parent_id=posted.get_json()["comment"]["id"])
    assert _outbox(app) == [("comment", "ann@example.org")]


def test_an_address_the_provider_did_not_verify_is_confirmed_by_mail_as_before(
    app: Flask, client: FlaskClient, sso_site: str
) -> None:
    """A signed-in reader without a verified email who types one: the usual confirmation."""
    reader = sso_sign_in(client)
    posted = client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                         json={"article": "a1", "body": "Tell me", "notify": "replies",
                               "author_email": "typed@example.org"})
    assert posted.status_code == 201, posted.get_json()
    assert _outbox(app) == [("confirm", "typed@example.org")]


def test_a_reader_reads_then_erases_everything_tied_to_their_identity(
    client: FlaskClient, sso_site: str, moderator: ModeratorLogin
) -> None:
    """/me/data lists the identity (verified email included) and every comment of theirs;
    DELETE /me purges the comments (one with another's reply stays a placeholder), the
    identity and its tokens; others' comments stay; each purge is in the audit log."""
    reader = sso_sign_in(client, email="ann@example.org")
    mine = [client.post(f"/api/v1/sites/{sso_site}/comments", headers=reader.headers,
                        json={"article": "a1", "body": body}).get_json()["comment"]["id"]
            for body in ("First of mine", "Second of mine")]
    Api(client, sso_site).posted_id("Bob's reply", author_name="Bob", parent_id=mine[0])
    data = client.get(f"/api/v1/sites/{sso_site}/me/data", headers=reader.headers).get_json()
    assert data["identity"]["email"] == "ann@example.org"
    assert [c["body_markdown"] for c in data["comments"]] == ["First of mine", "Second of mine"]

    erased = client.delete(f"/api/v1/sites/{sso_site}/me", headers=reader.headers)
    assert erased.status_code == 200, erased.get_json()
    assert erased.get_json() == {"deleted": 1, "kept_as_placeholders": 1}
    page = Api(client, sso_site).thread().get_json()
    shown = [(c["status"], c["author"]) for c in page["comments"]]
    assert shown == [("deleted", None)]
    assert page["comments"][0]["replies"][0]["author"]["name"] == "Bob"
    assert client.get(f"/api/v1/sites/{sso_site}/me", headers=reader.headers).status_code \
        == 401
    audit = client.get("/api/v1/moderation/audit", headers=moderator.headers).get_json()
    assert [e["action"] for e in audit["entries"]][:2] == ["reader_erase", "reader_erase"]


def test_the_workers_purge_drops_expired_tokens_and_old_link_records(
    app: Flask, client: FlaskClient, sso_site: str
) -> None:
    """Expired tokens and used-link records older than a link's life go; a live token and a
    fresh record stay (the outbox worker's purge_old runs it)."""
    from datetime import UTC, datetime, timedelta

    from comments_service.models import ReaderToken, SignInLinkUse
    from tests.notify.conftest import make_worker

    sso_sign_in(client)
    live = sso_sign_in(client)
    now = datetime.now(UTC)
    with app.app_context():
        first = db.session.execute(select(ReaderToken).order_by(ReaderToken.id)).scalars().first()
        first.expires_at = now - timedelta(seconds=1)
        db.session.add_all([SignInLinkUse(nonce="a" * 32, used_at=now - timedelta(days=1)),
                            SignInLinkUse(nonce="b" * 32, used_at=now)])
        db.session.commit()
    make_worker(app).purge_old()
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ReaderToken)).scalar() == 1
        assert list(db.session.execute(select(SignInLinkUse.nonce)).scalars()) == ["b" * 32]
    assert client.get(f"/api/v1/sites/{sso_site}/me", headers=live.headers).status_code == 200
