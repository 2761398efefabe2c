"""The moderator API for scripts, /api/v1/moderation: ``Authorization: Bearer <token>``.

A blueprint of its own, apart from the public API: no CORS headers (a page on
another site cannot read it), no reader rate limits, and only bearer tokens
(minted with ``comments-service moderator token EMAIL``), never the admin
session cookie, so a cross-site form cannot act with a moderator's cookie.
Unauthenticated: 401; a site the moderator does not moderate: 403 not_your_site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify
from pydantic import BaseModel

from comments_service.api import context
from comments_service.api.openapi import HeaderParam, documented
from comments_service.api.parsing import json_body, query_args
from comments_service.auth import bearer_token
from comments_service.errors import Unauthorized
from comments_service.extensions import db
from comments_service.models import Site
from comments_service.schemas.moderation import (
    ActionIn,
    ActionOut,
    AuditOut,
    AuditQuery,
    BanIn,
    BanOut,
    BansOut,
    BansQuery,
    BulkActionIn,
    BulkOut,
    MeOut,
    ModCommentOut,
    QueueOut,
    QueueQuery,
    SearchQuery,
    SiteIn,
    SiteModerationIn,
    SiteModerationOut,
    SiteOut,
    ThreadActionOut,
)
from comments_service.services import audit, bans, moderation, moderators, queue, search, sites
from comments_service.services.moderation import CommentAction
from comments_service.services.moderators import Actor
from comments_service.services.thread_moderation import ThreadAction, moderate_thread

moderation_api = Blueprint("api_moderation", __name__, url_prefix="/api/v1/moderation")

AUTHORIZATION = HeaderParam(
    "Authorization", "Bearer <token> (comments-service moderator token EMAIL).", required=True
)
TAGS = ("moderation",)


@moderation_api.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor() -> Actor:
    """The moderator the bearer token belongs to. Raises Unauthorized."""
    actor: Actor | None = g.get("moderator")
    if actor is None or g.get("moderator_via") != "token":
        if bearer_token() is not None:
            raise Unauthorized("That token is not valid (or its moderator is inactive).")
        raise Unauthorized()
    return actor


def _page_limit(asked: int | None, default: int) -> int:
    return min(asked or default, context.settings().moderation.max_page_size)


@moderation_api.get("/me")
@documented("Who this token belongs to, and the sites they moderate.",
            headers=(AUTHORIZATION,), responses={200: MeOut}, errors=(401,), tags=TAGS)
def me() -> Response:
    actor = _actor()
    slugs = [slug for _, slug in moderators.site_slugs(db.session, actor)]
    return jsonify(MeOut.dump({"email": actor.name, "sites": slugs}))


@moderation_api.get("/queue")
@documented(
    "The moderation queue: pending and flagged comments with their article, the "
    "comment they answer and their flags; most flagged or newest first.",
    query=QueueQuery, headers=(AUTHORIZATION,), responses={200: QueueOut},
    errors=(400, 401, 403, 404), tags=TAGS,
)
def get_queue() -> Response:
    actor = _actor()
    query = query_args(QueueQuery)
    page = queue.read_queue(
        db.session, moderators.scope(db.session, actor, query.site), state=query.state,
        sort=query.sort, cursor=query.cursor,
        limit=_page_limit(query.limit, context.settings().moderation.queue_page_size),
    )
    return jsonify(QueueOut.dump(page))


@moderation_api.get("/comments/<int:comment_id>")
@documented("One comment as moderators see it, with every flag it had.",
            headers=(AUTHORIZATION,), responses={200: ModCommentOut},
            errors=(401, 403, 404), tags=TAGS)
def get_comment(comment_id: int) -> Response:
    item = queue.read_item(db.session, _actor(), comment_id)
    return jsonify(ModCommentOut.dump(item))


_COMMENT_SUMMARIES = {
    CommentAction.APPROVE: "Approve: a pending, hidden or flagged comment becomes visible "
    "and its flags are cleared.",
    CommentAction.HIDE: "Hide a comment (a placeholder stays if it has replies).",
    CommentAction.RESTORE: "Show a hidden or deleted comment again (its flags stay open).",
    CommentAction.DELETE: "Delete a comment; its content is kept for the audit.",
    CommentAction.PURGE: "Erase a comment for good (data-removal requests); one with "
    "replies stays as an empty placeholder.",
    CommentAction.PIN: "Pin a visible top-level comment: it sorts first on every sort.",
    CommentAction.UNPIN: "Unpin a comment.",
}


def _add_action_route(
    path: str,
    endpoint: str,
    summary: str,
    response: type[BaseModel],
    apply: Callable[[Actor, int, str | None], dict[str, Any]],
) -> None:
    """POST path (one int id) with an ActionIn body: run `apply`, commit, return its dict."""

    def view(**ids: int) -> Response:
        actor = _actor()
        payload = json_body(ActionIn)
        body = apply(actor, *ids.values(), payload.note)
        db.session.commit()
        return jsonify(body)

    view.__name__ = endpoint
    documented(
        summary, body=ActionIn, headers=(AUTHORIZATION,), responses={200: response},
        errors=(400, 401, 403, 404, 409, 415, 422), tags=TAGS,
    )(view)
    moderation_api.add_url_rule(path, endpoint, view, methods=["POST"])


def _comment_action(action: CommentAction) -> Callable[[Actor, int, str | None], dict[str, Any]]:
    def apply(actor: Actor, comment_id: int, note: str | None) -> dict[str, Any]:
        return ActionOut.dump(moderation.moderate_comment(
            db.session, actor, comment_id, action, note, context.settings().moderation,
            context.now(), context.events(),
        ))

    return apply


def _thread_action(action: ThreadAction) -> Callable[[Actor, int, str | None], dict[str, Any]]:
    def apply(actor: Actor, thread_id: int, note: str | None) -> dict[str, Any]:
        return ThreadActionOut.dump(moderate_thread(
            db.session, actor, thread_id, action, note, context.settings().moderation,
            context.now(),
        ))

    return apply


for _action in CommentAction:
    _add_action_route(f"/comments/<int:comment_id>/{_action.value}",
                      f"{_action.value}_comment", _COMMENT_SUMMARIES[_action], ActionOut,
                      _comment_action(_action))


@moderation_api.post("/comments/actions")
@documented(
    "One action on several comments; each succeeds or fails on its own (see results).",
    body=BulkActionIn, headers=(AUTHORIZATION,), responses={200: BulkOut},
    errors=(400, 401, 415, 422), tags=TAGS,
)
def bulk_action() -> Response:
    actor = _actor()
    payload = json_body(BulkActionIn)
    outcomes = moderation.moderate_many(
        db.session, actor, payload.comment_ids, CommentAction(payload.action), payload.note,
        context.settings().moderation, context.now(), context.events(),
    )
    db.session.commit()
    return jsonify(BulkOut.dump({"results": outcomes}))


_THREAD_SUMMARIES = {
    ThreadAction.LOCK: "Lock a thread: new comments are refused with 409 thread_locked.",
    ThreadAction.UNLOCK: "Unlock a thread.",
    ThreadAction.PREMODERATE: "Hold every new comment of this thread for approval.",
    ThreadAction.UNPREMODERATE: "Stop holding this thread's new comments.",
}


for _thread_action_name in ThreadAction:
    _add_action_route(f"/threads/<int:thread_id>/{_thread_action_name.value}",
                      f"{_thread_action_name.value}_thread",
                      _THREAD_SUMMARIES[_thread_action_name], ThreadActionOut,
                      _thread_action(_thread_action_name))


@moderation_api.get("/search")
@documented(
    "Search all comments of your sites, whatever their status: words in the body, author "
    "name, article, status, date range; newest first.",
    query=SearchQuery, headers=(AUTHORIZATION,), responses={200: QueueOut},
    errors=(400, 401, 403, 404), tags=TAGS,
)
def get_search() -> Response:
    actor = _actor()
    query = query_args(SearchQuery)
    page = search.search_comments(
        db.session, moderators.scope(db.session, actor, query.site), query.search(),
        cursor=query.cursor,
        limit=_page_limit(query.limit, context.settings().moderation.queue_page_size),
    )
    return jsonify(QueueOut.dump(page))


@moderation_api.get("/sites/<site_slug>/settings")
@documented("A site's moderation settings.", headers=(AUTHORIZATION,),
            responses={200: SiteModerationOut}, errors=(401, 403, 404), tags=TAGS)
def get_site_settings(site_slug: str) -> Response:
    actor = _actor()
    site = context.site(site_slug)
    actor.require_site(site.id)
    return jsonify(SiteModerationOut.dump(
        moderation.site_moderation(site, context.settings().moderation)))


@moderation_api.patch("/sites/<site_slug>/settings")
@documented("Switch pre-moderation for the whole site, set its flag threshold, and/or "
            "take down votes.",
            body=SiteModerationIn, headers=(AUTHORIZATION,),
            responses={200: SiteModerationOut}, errors=(400, 401, 403, 404, 415, 422),
            tags=TAGS)
def update_site_settings(site_slug: str) -> Response:
    payload = json_body(SiteModerationIn)
    site = _update_site(site_slug, sites.SiteChanges(**payload.model_dump()))
    return jsonify(SiteModerationOut.dump(
        moderation.site_moderation(site, context.settings().moderation)))


def _update_site(site_slug: str, changes: sites.SiteChanges) -> Site:
    actor = _actor()
    site = context.site(site_slug)
    settings = context.settings()
    sites.update_site(db.session, actor, site, changes, rules=settings.moderation,
                      votes=settings.votes, now=context.now())
    db.session.commit()
    return site


def _site_out(site: Site) -> Response:
    state = moderation.site_moderation(site, context.settings().moderation)
    return jsonify(SiteOut.dump({
        "slug": site.slug, "name": site.name, "origins": list(site.allowed_origins or []),
        "premoderation": state.premoderation, "flag_threshold": state.flag_threshold,
        "downvotes": state.downvotes, "languages": state.languages,
    }))


@moderation_api.get("/sites/<site_slug>")
@documented("A site: its name, allowed origins and moderation settings.",
            headers=(AUTHORIZATION,), responses={200: SiteOut}, errors=(401, 403, 404),
            tags=TAGS)
def get_site(site_slug: str) -> Response:
    site = context.site(site_slug)
    _actor().require_site(site.id)
    return _site_out(site)


@moderation_api.patch("/sites/<site_slug>")
@documented("Edit a site: rename it, replace its allowed origins, and/or change its "
            "moderation settings (audited as site_settings).",
            body=SiteIn, headers=(AUTHORIZATION,), responses={200: SiteOut},
            errors=(400, 401, 403, 404, 415, 422), tags=TAGS)
def update_site(site_slug: str) -> Response:
    payload = json_body(SiteIn)
    values = payload.model_dump()
    if values["origins"] is not None:
        values["origins"] = tuple(values["origins"])
    if values["languages"] is not None:
        values["languages"] = tuple(values["languages"])
    return _site_out(_update_site(site_slug, sites.SiteChanges(**values)))


@moderation_api.post("/comments/<int:comment_id>/ban")
@documented(
    "Ban the author of a comment from its site, by email and/or network, until lifted "
    "or for duration_seconds. Their posts get 403 banned.",
    body=BanIn, headers=(AUTHORIZATION,), responses={201: BanOut},
    errors=(400, 401, 403, 404, 415, 422), tags=TAGS,
)
def ban_author(comment_id: int) -> tuple[Response, int]:
    actor = _actor()
    payload = json_body(BanIn)
    ban = bans.ban_author(
        db.session, actor, comment_id, by_email=payload.by_email,
        by_address=payload.by_address, duration_seconds=payload.duration_seconds,
        note=payload.note, secret=current_app.config["SECRET_KEY"],
        rules=context.settings().moderation, now=context.now(),
    )
    db.session.commit()
    return jsonify(BanOut.dump(ban)), 201


@moderation_api.get("/bans")
@documented("Bans of your sites, newest first.", query=BansQuery, headers=(AUTHORIZATION,),
            responses={200: BansOut}, errors=(400, 401, 403, 404), tags=TAGS)
def list_bans() -> Response:
    actor = _actor()
    query = query_args(BansQuery)
    found = bans.list_bans(db.session, moderators.scope(db.session, actor, query.site),
                           context.now(), limit=context.settings().moderation.max_page_size)
    return jsonify(BansOut.dump({"bans": found}))


@moderation_api.post("/bans/<int:ban_id>/lift")
@documented("End a ban now.", body=ActionIn, headers=(AUTHORIZATION,),
            responses={200: BanOut}, errors=(400, 401, 403, 404, 409, 415, 422), tags=TAGS)
def lift_ban(ban_id: int) -> Response:
    actor = _actor()
    payload = json_body(ActionIn)
    ban = bans.lift_ban(db.session, actor, ban_id, payload.note,
                        context.settings().moderation, context.now())
    db.session.commit()
    return jsonify(BanOut.dump(ban))


@moderation_api.get("/audit")
@documented("The audit log of your sites, newest first: who did what, when, to what.",
            query=AuditQuery, headers=(AUTHORIZATION,), responses={200: AuditOut},
            errors=(400, 401, 403, 404), tags=TAGS)
def get_audit() -> Response:
    actor = _actor()
    query = query_args(AuditQuery)
    page = audit.read_log(
        db.session, moderators.scope(db.session, actor, query.site), comment_id=query.comment_id,
        cursor=query.cursor,
        limit=_page_limit(query.limit, context.settings().moderation.audit_page_size),
    )
    return jsonify(AuditOut.dump(page))
