"""Request and response shapes of the moderator API (/api/v1/moderation), pydantic v2.

Kept apart from the public shapes (same library, same StrictModel, schemas/base.py):
these shapes are for moderators' scripts only and carry what the public never
sees (author emails, flags, the audit log). Each response model reads the
service's dataclass itself (schemas/base.py OutModel.dump): one definition per shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AwareDatetime, BeforeValidator, ConfigDict, Field

from comments_service.config import MAX_BAN_SECONDS, MAX_FLAG_THRESHOLD, digits_up_to
from comments_service.languages import LANGUAGES
from comments_service.models import CommentStatus
from comments_service.schemas.base import (
    ErrorDetail,
    IsoTime,
    OutModel,
    RowId,
    StrictModel,
    WholeNumber,
)
from comments_service.services.search import CommentSearch

CommentActionName = Literal["approve", "hide", "restore", "delete", "purge", "pin", "unpin"]

# ---- requests -------------------------------------------------------------


# A supported language, spelt as the service spells it (languages.LANGUAGES).
LanguageCode = Literal[LANGUAGES]  # type: ignore[valid-type]

class QueueQuery(StrictModel):
    site: str | None = Field(None, description="One of your sites; all of them if omitted.")
    state: Literal["all", "pending", "flagged", "hidden"] = Field(
        "all", description="all: pending or flagged (not deleted)."
    )
    sort: Literal["flags", "newest"] = Field("flags", description="Most flagged, or newest.")
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    limit: int | None = Field(None, ge=1)


def _iso_datetime(value: Any) -> Any:
    """ISO 8601 / RFC 3339 text only: pydantic alone would read "0.5" as a Unix time."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.upper())
        except ValueError:
            raise ValueError("Give an ISO 8601 date and time with its zone, e.g. "
                             "2026-12-01T00:00:00Z.") from None
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]


class SearchQuery(StrictModel):
    """Moderators' search over all comments of their sites (services/search.py)."""

    site: str | None = Field(None, description="One of your sites; all of them if omitted.")
    text: str | None = Field(None, max_length=200, description="Words in the body "
                             "(case-insensitive, anywhere).")
    author: str | None = Field(None, max_length=200, description="Part of the author's name.")
    article: str | None = Field(None, max_length=512, description="The article's key.")
    status: CommentStatus | None = None
    since: IsoDatetime | None = Field(None, description="Posted at or after (ISO 8601).")
    until: IsoDatetime | None = Field(None, description="Posted before (ISO 8601).")
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    limit: int | None = Field(None, ge=1)

    def search(self) -> CommentSearch:
        """The service's search from the parsed query (blank filters are no filter)."""
        return CommentSearch(
            text=(self.text or "").strip() or None, author=(self.author or "").strip() or None,
            article=self.article or None, status=self.status.value if self.status else None,
            since=self.since, until=self.until,
        )


class AuditQuery(StrictModel):
    site: str | None = Field(None, description="One of your sites; all of them if omitted.")
    comment_id: RowId | None = Field(None, description="Only entries about this comment.")
    cursor: str | None = Field(None, pattern=r"^[0-9]{1,18}$",
                               description="next_cursor of the previous page.")
    limit: int | None = Field(None, ge=1)


class BansQuery(StrictModel):
    site: str | None = Field(None, description="One of your sites; all of them if omitted.")


class ActionIn(StrictModel):
    note: str | None = Field(None, description="Why; kept in the audit log.")


class BulkActionIn(StrictModel):
    action: CommentActionName
    comment_ids: list[RowId] = Field(min_length=1, description="moderation.max_bulk at most.")
    note: str | None = None


class BanIn(StrictModel):
    # services/bans.py bans by email, by address, or both: never by neither.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"by_email": {"const": True}}, "required": ["by_email"]},
        {"properties": {"by_address": {"const": True}}, "required": ["by_address"]},
    ]})

    by_email: bool = Field(False, description="Ban the comment author's email address.")
    by_address: bool = Field(False, description="Ban the comment author's network.")
    duration_seconds: Annotated[int, Field(ge=1, le=MAX_BAN_SECONDS), WholeNumber] | None = (
        Field(None, description="Until lifted if omitted."))
    note: str | None = None


class SiteModerationIn(StrictModel):
    premoderation: bool | None = Field(None, description="Hold every new comment for approval.")
    flag_threshold: Annotated[int, Field(ge=0, le=MAX_FLAG_THRESHOLD), WholeNumber] | None = (
        Field(None, description="Readers' flags that hide a comment; 0: never."))
    downvotes: bool | None = Field(None, description="Take down votes on comments, not "
                                   "only up votes.")
    languages: list[LanguageCode] | None = Field(
        None, max_length=len(LANGUAGES),
        description="The languages the widget offers readers (e.g. [\"de\", \"fr\"]), the "
        "first being the site's own (mail to readers without one, moderators' notices); "
        "[]: every language. Codes as in GET /config.")
    note: str | None = None


# scheme://host[:port], as services/sites.normalize_origin takes it (ASCII host names:
# browsers send international names in punycode).
ORIGIN_PATTERN = (r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+"
                  rf"(:{digits_up_to(65535)})?/?$")


class SiteIn(SiteModerationIn):
    """An edit of a site: what is left out stays as it is."""

    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S",
                             description="The name moderators and emails show.")
    origins: list[Annotated[str, Field(pattern=ORIGIN_PATTERN)]] | None = Field(
        None, max_length=100, description="Replaces the allowed origins: the pages "
        "at these scheme://host[:port] may post (no path).")


# ---- responses ------------------------------------------------------------


class MeOut(OutModel):
    email: str
    sites: list[str]


class ModAuthorOut(OutModel):
    name: str | None
    email: str | None
    website: str | None
    identity: int | None = Field(description="The signed-in author's identity id (ban it: "
                                 "POST .../sites/SITE/identities/ID/ban); null when anonymous.")
    provider: str | None = Field(description="The way in they signed in with (\"github\", "
                                 "...); null when anonymous.")


class ModFlagOut(OutModel):
    reason: str
    text: str | None
    created_at: IsoTime
    cleared: bool = Field(validation_alias=AliasChoices("cleared", "is_cleared"))


class ModThreadOut(OutModel):
    id: int
    article: str = Field(validation_alias=AliasChoices("article", "article_key"))
    title: str | None
    url: str | None
    is_locked: bool
    is_premoderated: bool


class ModParentOut(OutModel):
    id: int
    author_name: str | None
    body_html: str
    status: str


class ModCommentOut(OutModel):
    id: int
    site: str
    status: Literal["visible", "pending", "hidden", "deleted"]
    status_reason: str | None
    flag_count: int = Field(description="Open flags (cleared when approved).")
    pinned: bool = Field(validation_alias=AliasChoices("pinned", "is_pinned"))
    depth: int
    created_at: IsoTime
    edited_at: IsoTime | None
    author: ModAuthorOut
    body_html: str
    thread: ModThreadOut
    parent: ModParentOut | None = Field(description="The comment this one answers.")
    flags: list[ModFlagOut]


class QueueOut(OutModel):
    items: list[ModCommentOut]
    next_cursor: str | None


class ActionOut(OutModel):
    comment_id: int
    action: CommentActionName
    status_before: str
    status_after: str = Field(description='"purged" when the row is gone.')
    pinned: bool = Field(validation_alias=AliasChoices("pinned", "is_pinned"))


class BulkResultOut(OutModel):
    comment_id: int
    ok: bool
    status_after: str | None
    error: ErrorDetail | None = Field(validation_alias=AliasChoices("failure", "error"))


class BulkOut(OutModel):
    results: list[BulkResultOut]


class ThreadActionOut(OutModel):
    thread_id: int
    action: Literal["lock", "unlock", "premoderate", "unpremoderate"]
    is_locked: bool
    is_premoderated: bool


class SiteModerationOut(OutModel):
    site: str
    premoderation: bool
    flag_threshold: int
    downvotes: bool | None = Field(description="Down votes taken; null: the service's "
                                   "default (votes.downvotes).")
    languages: list[str] = Field(description="The languages offered to readers, the "
                                 "site's own first; []: every language.")


class SiteOut(OutModel):
    slug: str
    name: str
    origins: list[str]
    premoderation: bool
    flag_threshold: int
    downvotes: bool | None = Field(description="Down votes taken; null: the service's "
                                   "default (votes.downvotes).")
    languages: list[str] = Field(description="The languages offered to readers, the "
                                 "site's own first; []: every language.")


class BanOut(OutModel):
    id: int
    site: str
    by_email: bool
    by_address: bool
    note: str | None
    created_at: IsoTime
    expires_at: IsoTime | None
    lifted_at: IsoTime | None
    active: bool = Field(validation_alias=AliasChoices("active", "is_active"))


class BansOut(OutModel):
    bans: list[BanOut]


class AuditEntryOut(OutModel):
    id: int
    at: IsoTime = Field(validation_alias=AliasChoices("at", "created_at"))
    actor: str = Field(description='A moderator\'s email, or "auto" (the flag threshold).')
    action: str
    site: str
    comment_id: int | None
    thread_id: int | None
    ban_id: int | None
    status_before: str | None
    status_after: str | None
    note: str | None


class AuditOut(OutModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None
