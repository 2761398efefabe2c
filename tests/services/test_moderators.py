"""services/moderators.py: Argon2id passwords, hashed API tokens, site membership."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from comments_service.errors import ValidationFailed
from comments_service.models import Moderator, ModeratorToken
from comments_service.services import moderators
from comments_service.services.sites import create_site
from tests.services.test_moderation import START

PASSWORD = "correct horse battery staple"


@pytest.fixture
def rules(app):
    return app.extensions["comments_settings"].moderation


def test_a_password_is_stored_as_argon2id_and_signs_in(session, site_row, rules) -> None:
    moderators.create_moderator(session, "Mod@News.Example", PASSWORD, ["news"], rules, START)
    stored = session.execute(select(Moderator.email, Moderator.password_hash)).one()
    assert stored.email == "mod@news.example"
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    actor = moderators.authenticate_password(session, "MOD@news.example", PASSWORD, rules,
                                             START)
    assert actor is not None
    assert (actor.name, actor.site_ids) == ("mod@news.example", frozenset({site_row.id}))


@pytest.mark.parametrize(
    ("email", "password"),
    [("mod@news.example", "wrong password!"), ("nobody@news.example", PASSWORD),
     ("not an email", PASSWORD)],
)
def test_a_wrong_password_or_unknown_email_does_not_sign_in(
    session, site_row, rules, email, password
) -> None:
    moderators.create_moderator(session, "mod@news.example", PASSWORD, ["news"], rules, START)
    assert moderators.authenticate_password(session, email, password, rules, START) is None


def test_an_inactive_moderator_cannot_sign_in(session, site_row, rules) -> None:
    made = moderators.create_moderator(session, "mod@news.example", PASSWORD, ["news"], rules,
                                       START)
    token = moderators.mint_token(session, "mod@news.example", START)
    made.is_active = False
    session.flush()
    assert moderators.authenticate_password(session, "mod@news.example", PASSWORD, rules,
                                            START) is None
    assert moderators.authenticate_token(session, token) is None


def test_a_password_is_rehashed_when_the_cost_changes(session, site_row, rules) -> None:
    moderators.create_moderator(session, "mod@news.example", PASSWORD, ["news"], rules, START)
    before = session.execute(select(Moderator.password_hash)).scalar_one()
    stronger = replace(rules, password_time_cost=rules.password_time_cost + 1)
    assert moderators.authenticate_password(session, "mod@news.example", PASSWORD, stronger,
                                            START)
    after = session.execute(select(Moderator.password_hash)).scalar_one()
    assert after != before
    assert f"t={stronger.password_time_cost}" in after


def test_an_api_token_is_stored_hashed_and_identifies_its_moderator(
    session, site_row, rules
) -> None:
    moderators.create_moderator(session, "mod@news.example", PASSWORD, ["news"], rules, START)
    token = moderators.mint_token(session, "mod@news.example", START)
    stored = session.execute(select(ModeratorToken.token_hash)).scalar_one()
    assert stored == moderators.token_hash(token)
    assert token not in stored
    actor = moderators.authenticate_token(session, token)
    assert actor is not None
    assert actor.name == "mod@news.example"
    assert moderators.authenticate_token(session, token + "x") is None
    assert moderators.revoke_tokens(session, "mod@news.example") == 1
    assert moderators.authenticate_token(session, token) is None


@pytest.mark.parametrize(
    ("email", "password", "sites", "field"),
    [
        ("mod@news.example", "short", ["news"], "password"),
        ("mod@news.example", PASSWORD, ["nope"], "site"),
        ("mod@news.example", PASSWORD, [], "site"),
        ("not-an-email", PASSWORD, ["news"], "email"),
    ],
)
def test_a_moderator_with_bad_details_is_refused(
    session, site_row, rules, email, password, sites, field
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        moderators.create_moderator(session, email, password, sites, rules, START)
    assert field in caught.value.fields


def test_the_same_email_cannot_have_two_accounts(session, site_row, rules) -> None:
    moderators.create_moderator(session, "mod@news.example", PASSWORD, ["news"], rules, START)
    with pytest.raises(ValidationFailed) as caught:
        moderators.create_moderator(session, "MOD@news.example", PASSWORD, ["news"], rules,
                                    START)
    assert caught.value.fields == {"email": "a moderator with this email exists"}


def test_a_moderator_of_two_sites_is_listed_with_both(session, site_row, rules) -> None:
    create_site(session, "sports", "Sports", [], START)
    moderators.create_moderator(session, "mod@news.example", PASSWORD, ["sports", "news"],
                                rules, START)
    [summary] = moderators.list_moderators(session)
    assert (summary.email, summary.site_slugs) == ("mod@news.example", ("news", "sports"))
