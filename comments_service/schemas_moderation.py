"""Request and response shapes of the moderator API (/api/v1/moderation), pydantic v2.

Kept beside schemas.py (same library, same StrictModel) rather than inside it:
these shapes are for moderators' scripts only and carry what the public never
sees (author emails, flags, the audit log). Serializers build plain dicts from
the services' dataclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Field

from comments_service.models import CommentStatus
from comments_service.schemas import (
    ErrorDetail,
    RowId,
    StrictModel,
    WholeNumber,
    digits_up_to,
    iso,
)
from comments_service.services.audit import AuditPage
from comments_service.services.bans import BanInfo
from comments_service.services.moderation import (
    ActionResult,
    BulkOutcome,
    SiteModeration,
    ThreadResult,
)
from comments_service.services.queue import QueueItem, QueuePage
from comments_service.services.search import CommentSearch

CommentActionName = Literal["approve", "hide", "restore", "delete", "purge", "pin", "unpin"]

# ---- requests -------------------------------------------------------------


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
    # At most ten years: longer is "until lifted", and a huge number cannot be a date.
    duration_seconds: Annotated[int, Field(ge=1, le=10 * 365 * 86400), WholeNumber] | None = (
        Field(None, description="Until lifted if omitted."))
    note: str | None = None


class SiteModerationIn(StrictModel):
    premoderation: bool | None = Field(None, description="Hold every new comment for approval.")
    flag_threshold: Annotated[int, Field(ge=0, le=1000), WholeNumber] | None = Field(
        None, description="Readers' flags that hide a comment; 0: never."
    )
    downvotes: bool | None = Field(None, description="Take down votes on comments, not "
                                   "only up votes.")
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


class MeOut(StrictModel):
    email: str
    sites: list[str]


class ModAuthorOut(StrictModel):
    name: str | None
    email: str | None
    website: str | None


class ModFlagOut(StrictModel):
    reason: str
    text: str | None
    created_at: datetime
    cleared: bool


class ModThreadOut(StrictModel):
    id: int
    article: str
    title: str | None
    url: str | None
    is_locked: bool
    is_premoderated: bool


class ModParentOut(StrictModel):
    id: int
    author_name: str | None
    body_html: str
    status: str


class ModCommentOut(StrictModel):
    id: int
    site: str
    status: Literal["visible", "pending", "hidden", "deleted"]
    status_reason: str | None
    flag_count: int = Field(description="Open flags (cleared when approved).")
    pinned: bool
    depth: int
    created_at: datetime
    edited_at: datetime | None
    author: ModAuthorOut
    body_html: str
    thread: ModThreadOut
    parent: ModParentOut | None = Field(description="The comment this one answers.")
    flags: list[ModFlagOut]


class QueueOut(StrictModel):
    items: list[ModCommentOut]
    next_cursor: str | None


class ActionOut(StrictModel):
    comment_id: int
    action: CommentActionName
    status_before: str
    status_after: str = Field(description='"purged" when the row is gone.')
    pinned: bool


class BulkResultOut(StrictModel):
    comment_id: int
    ok: bool
    status_after: str | None
    error: ErrorDetail | None


class BulkOut(StrictModel):
    results: list[BulkResultOut]


class ThreadActionOut(StrictModel):
    thread_id: int
    action: Literal["lock", "unlock", "premoderate", "unpremoderate"]
    is_locked: bool
    is_premoderated: bool


class SiteModerationOut(StrictModel):
    site: str
    premoderation: bool
    flag_threshold: int
    downvotes: bool | None = Field(description="Down votes taken; null: the service's "
                                   "default (votes.downvotes).")


class SiteOut(StrictModel):
    slug: str
    name: str
    origins: list[str]
    premoderation: bool
    flag_threshold: int
    downvotes: bool | None = Field(description="Down votes taken; null: the service's "
                                   "default (votes.downvotes).")


class BanOut(StrictModel):
    id: int
    site: str
    by_email: bool
    by_address: bool
    note: str | None
    created_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None
    active: bool


class BansOut(StrictModel):
    bans: list[BanOut]


class AuditEntryOut(StrictModel):
    id: int
    at: datetime
    actor: str = Field(description='A moderator\'s email, or "auto" (the flag threshold).')
    action: str
    site: str
    comment_id: int | None
    thread_id: int | None
    ban_id: int | None
    status_before: str | None
    status_after: str | None
    note: str | None


class AuditOut(StrictModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None


# ---- serializers ----------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def mod_comment_dict(item: QueueItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "site": item.site,
        "status": item.status,
        "status_reason": item.status_reason,
        "flag_count": item.flag_count,
        "pinned": item.is_pinned,
        "depth": item.depth,
        "created_at": iso(item.created_at),
        "edited_at": _iso(item.edited_at),
        "author": {"name": item.author_name, "email": item.author_email,
                   "website": item.author_website},
        "body_html": item.body_html,
        "thread": {
            "id": item.thread.id,
            "article": item.thread.article_key,
            "title": item.thread.title,
            "url": item.thread.url,
            "is_locked": item.thread.is_locked,
            "is_premoderated": item.thread.is_premoderated,
        },
        "parent": None if item.parent is None else {
            "id": item.parent.id,
            "author_name": item.parent.author_name,
            "body_html": item.parent.body_html,
            "status": item.parent.status,
        },
        "flags": [
            {"reason": f.reason, "text": f.text, "created_at": iso(f.created_at),
             "cleared": f.is_cleared}
            for f in item.flags
        ],
    }


def search_of(query: SearchQuery) -> CommentSearch:
    """The service's search from the parsed query (blank filters are no filter)."""
    return CommentSearch(
        text=(query.text or "").strip() or None, author=(query.author or "").strip() or None,
        article=query.article or None, status=query.status.value if query.status else None,
        since=query.since, until=query.until,
    )


def queue_dict(page: QueuePage) -> dict[str, Any]:
    return {"items": [mod_comment_dict(i) for i in page.items], "next_cursor": page.next_cursor}


def action_dict(result: ActionResult) -> dict[str, Any]:
    return {
        "comment_id": result.comment_id,
        "action": result.action,
        "status_before": result.status_before,
        "status_after": result.status_after,
        "pinned": result.is_pinned,
    }


def bulk_dict(outcomes: list[BulkOutcome]) -> dict[str, Any]:
    return {
        "results": [
            {
                "comment_id": o.comment_id,
                "ok": o.ok,
                "status_after": o.status_after,
                "error": None if o.ok else {"code": o.error, "message": o.message,
                                            "fields": {}},
            }
            for o in outcomes
        ]
    }


def thread_action_dict(result: ThreadResult) -> dict[str, Any]:
    return {
        "thread_id": result.thread_id,
        "action": result.action,
        "is_locked": result.is_locked,
        "is_premoderated": result.is_premoderated,
    }


def site_moderation_dict(state: SiteModeration) -> dict[str, Any]:
    return {"site": state.site, "premoderation": state.premoderation,
            "flag_threshold": state.flag_threshold, "downvotes": state.downvotes}


def site_dict(slug: str, name: str, origins: list[str], state: SiteModeration,
              ) -> dict[str, Any]:
    return {"slug": slug, "name": name, "origins": origins,
            "premoderation": state.premoderation, "flag_threshold": state.flag_threshold,
            "downvotes": state.downvotes}


def ban_dict(ban: BanInfo) -> dict[str, Any]:
    return {
        "id": ban.id,
        "site": ban.site,
        "by_email": ban.by_email,
        "by_address": ban.by_address,
        "note": ban.note,
        "created_at": iso(ban.created_at),
        "expires_at": _iso(ban.expires_at),
        "lifted_at": _iso(ban.lifted_at),
        "active": ban.is_active,
    }


def audit_dict(page: AuditPage) -> dict[str, Any]:
    return {
        "entries": [
            {
                "id": e.id,
                "at": iso(e.created_at),
                "actor": e.actor,
                "action": e.action,
                "site": e.site,
                "comment_id": e.comment_id,
                "thread_id": e.thread_id,
                "ban_id": e.ban_id,
                "status_before": e.status_before,
                "status_after": e.status_after,
                "note": e.note,
            }
            for e in page.entries
        ],
        "next_cursor": page.next_cursor,
    }
