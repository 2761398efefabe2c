"""services/sites.py: editing a site (name, origins, switches), one rule for every path."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.errors import NotYourSite, ValidationFailed
from comments_service.models import AuditEntry, Site
from comments_service.services import sites
from comments_service.services.moderators import Actor
from tests.services.test_moderation import MOD_RULES, START, VOTE_RULES, actor_for


def _edit(session: Session, site: Site, actor: Actor | None = None, **changes) -> Site:
    return sites.update_site(session, actor or actor_for(site), site,
                             sites.SiteChanges(**changes), rules=MOD_RULES, votes=VOTE_RULES,
                             now=START)


def _notes(session: Session) -> list[str | None]:
    return list(session.execute(
        select(AuditEntry.note).where(AuditEntry.action == "site_settings")
        .order_by(AuditEntry.id)).scalars())


def test_name_and_origins_are_stored_normalized_and_audited(session, site_row) -> None:
    _edit(session, site_row, name="  The News  ",
          origins=("HTTPS://News.Example:443/", "https://m.news.example", "https://m.news.example"))
    assert site_row.name == "The News"
    assert site_row.allowed_origins == ["https://news.example", "https://m.news.example"]
    assert sites.is_origin_allowed(site_row, "https://m.news.example")
    assert _notes(session) == [
        "name 'The News'; origins https://news.example https://m.news.example"]


@pytest.mark.parametrize("origin", [
    "https://news.example/blog", "https://news.example?x=1", "ftp://news.example",
    "news.example", "https://user@news.example", "https://news.example:99999",
    "https://bücher.example",
])
def test_an_origin_that_is_not_scheme_host_port_is_refused_and_nothing_changes(
    session, site_row, origin: str
) -> None:
    before = list(site_row.allowed_origins)
    with pytest.raises(ValidationFailed) as raised:
        _edit(session, site_row, name="Renamed", origins=("https://ok.example", origin))
    assert "scheme://host[:port]" in raised.value.fields["origins"]
    assert site_row.allowed_origins == before
    assert site_row.name != "Renamed"
    assert _notes(session) == []


def test_a_blank_or_long_name_is_refused(session, site_row) -> None:
    for name in ["   ", "x" * (sites.MAX_SITE_NAME + 1)]:
        with pytest.raises(ValidationFailed) as raised:
            _edit(session, site_row, name=name)
        assert "name" in raised.value.fields


def test_a_switch_is_stored_only_when_it_differs_from_what_applies(session, site_row) -> None:
    assert VOTE_RULES.downvotes is False
    _edit(session, site_row, downvotes=False, flag_threshold=MOD_RULES.flag_threshold,
          premoderation=False)
    assert "downvotes" not in (site_row.settings or {})
    assert "flag_threshold" not in (site_row.settings or {})
    assert _notes(session) == []
    _edit(session, site_row, downvotes=True)
    assert site_row.settings["downvotes"] is True
    assert _notes(session) == ["downvotes on"]


def test_only_a_moderator_of_the_site_may_edit_it(session, site_row) -> None:
    outsider = Actor(moderator_id=None, name="other@example.org", site_ids=frozenset({999}))
    with pytest.raises(NotYourSite):
        _edit(session, site_row, outsider, name="Mine now")
    assert site_row.name != "Mine now"
