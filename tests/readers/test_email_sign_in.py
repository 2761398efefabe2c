"""The emailed sign-in link (services/email_sign_in.py, sign_in_pages.py): asked for only
by the popup's own form, mailed through the outbox, refused when forged, expired, used
already or for another site."""

from __future__ import annotations

import time
from typing import Any

import itsdangerous.timed
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from comments_service.extensions import db
from comments_service.models import OutboxMessage
from comments_service.notify import tokens
from tests.conftest import SITE_ORIGIN, ModeratorLogin, create_other_site
from tests.readers.conftest import configure

EMAIL_WAY = {"key": "email", "kind": "email", "label": "email"}
SERVICE = "http://localhost"


@pytest.fixture
def email_site(client: FlaskClient, moderator: ModeratorLogin, site: str) -> str:
    assert configure(client, moderator, mode="offered", ways=[EMAIL_WAY]).status_code == 200
    return site


def _ask(client: FlaskClient, origin_header: str = SERVICE, **form: str) -> Any:
    data = {"email": "mel@example.org", "name": "Mel", "origin": SITE_ORIGIN, "way": "email",
            **form}
    return client.post("/auth/news/start", data=data, headers={"Origin": origin_header})


def _claim(site: str = "news", nonce: str = "a" * 32) -> tokens.SignInClaim:
    return tokens.SignInClaim(site=site, way="email", email="mel@example.org", name="Mel",
                              origin=SITE_ORIGIN, nonce=nonce)


def _link_path(app: Flask, claim: tokens.SignInClaim, *, age_s: int = 0) -> str:
    """The path of the link the worker would mail, signed ``age_s`` seconds ago."""
    signed_at = time.time() - age_s
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(itsdangerous.timed.time, "time", lambda: signed_at)
        token = tokens.sign_in_token(app.config["SECRET_KEY"], claim)
    return f"/auth/{claim.site}/email/{token}"


def test_the_popups_form_queues_one_mail_and_a_foreign_form_none(
    app: Flask, client: FlaskClient, email_site: str
) -> None:
    """From the popup (Origin: the service) one sign_in outbox row for the address; from
    another site's form, and for an origin the site does not allow, nothing is queued."""
    assert _ask(client, origin_header="https://evil.example").status_code == 400
    assert _ask(client, origin="https://evil.example").status_code == 403
    answer = _ask(client)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Check your email" in answer.get_data(as_text=True)
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.recipient)).all()
    assert [tuple(r) for r in rows] == [("sign_in", "mel@example.org")]
    assert _ask(client, email="not an address").status_code == 422


def test_a_link_works_once_on_a_post_and_never_on_a_get(
    app: Flask, client: FlaskClient, email_site: str
) -> None:
    """GET shows a button and signs nobody in (a mail scanner may follow links); the POST
    signs in with the address as a verified email; the second POST is 410."""
    path = _link_path(app, _claim())
    shown = client.get(path)
    assert shown.status_code == 200
    assert "sign-in-result" not in shown.get_data(as_text=True)
    used = client.post(path, headers={"Origin": SERVICE})
    assert used.status_code == 200, used.get_data(as_text=True)
    assert '"provider": "email"' in used.get_data(as_text=True)
    again = client.post(path, headers={"Origin": SERVICE})
    assert again.status_code == 410
    assert "sign-in-result" not in again.get_data(as_text=True)


@pytest.mark.parametrize("case", ["altered", "expired", "another site", "foreign form"])
def test_bad_links_are_refused_without_a_token(
    app: Flask, client: FlaskClient, email_site: str, case: str
) -> None:
    """An altered token, one older than [readers] email_link_seconds, one made for another
    site, and a POST from another site's form: a 4xx page with no token in it."""
    create_other_site(app)
    path, origin = _link_path(app, _claim()), SERVICE
    if case == "altered":
        path = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    elif case == "expired":
        path = _link_path(app, _claim(), age_s=3600)
    elif case == "another site":
        path = _link_path(app, _claim(site="sports")).replace("/auth/sports/", "/auth/news/")
    else:
        origin = "https://evil.example"
    response = client.post(path, headers={"Origin": origin})
    assert 400 <= response.status_code < 500
    assert "sign-in-result" not in response.get_data(as_text=True)
