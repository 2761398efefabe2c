"""POST a comment or reply; GET, PATCH and DELETE one; GET more replies under one."""

from __future__ import annotations

from flask import Response, jsonify, request, url_for

from comments_service import languages
from comments_service.api import api, context
from comments_service.api.openapi import HeaderParam, documented
from comments_service.api.parsing import json_body, query_args
from comments_service.extensions import db
from comments_service.limits import (
    edit_limit,
    email_key,
    lacks_field,
    limiter,
    post_email_limit,
    post_limit,
    post_thread_limit,
    read_limit,
    thread_key,
)
from comments_service.metrics import COMMENTS_CREATED
from comments_service.models import CommentStatus, Site
from comments_service.schemas import (
    CommentEdit,
    DeletedOut,
    HeldCommentOut,
    NewComment,
    PostedCommentOut,
    RepliesPageOut,
    RepliesQuery,
    SingleCommentOut,
    dump_posted_comment,
    dump_replies_page,
    dump_single_comment,
)
from comments_service.services import author_edits, passages, posting, sign_in, spam, threads

HELD_MESSAGE = "Thanks! Your comment will appear once a moderator has approved it."

EDIT_TOKEN = HeaderParam(
    "X-Edit-Token", "The edit_token returned when the comment was posted (not needed with "
    "a signed-in reader's Authorization: Bearer token on their own comment).",
)
READER_BEARER = HeaderParam(
    "Authorization", "Bearer TOKEN of a signed-in reader (POST .../sign-in/..., the popup): "
    "the comment is posted under their name and marked signed in.",
)


def _edit_token() -> str | None:
    return request.headers.get(EDIT_TOKEN.name)


def _signed_in(site: Site) -> author_edits.SignedInAuthor | None:
    """The signed-in reader of this request as an author of their own comments."""
    reader = context.reader(site)
    if reader is None:
        return None
    window = sign_in.edit_window_seconds(site, context.settings().readers)
    return author_edits.SignedInAuthor(reader.identity_id, window)


# Innermost first: of equal windows, X-RateLimit-* headers describe the per-client limit.
@api.post("/sites/<site_slug>/comments")
@limiter.limit(post_thread_limit, key_func=thread_key, exempt_when=lacks_field("article"))
@limiter.limit(
    post_email_limit, key_func=email_key("author_email"), exempt_when=lacks_field("author_email")
)
@limiter.limit(post_limit)
@documented(
    "Post a comment to an article (its thread is created on the first), or a reply. "
    "202: held for moderation, not shown until approved.",
    body=NewComment,
    headers=(READER_BEARER,),
    responses={201: PostedCommentOut, 202: HeldCommentOut},
    errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
    tags=("comments",),
)
def post_comment(site_slug: str) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    payload = json_body(NewComment)
    settings = context.settings()
    signals = context.spam_signals(payload.hp, payload.form_token)
    posted = posting.post_comment(
        db.session,
        site,
        posting.CommentDraft(
            article_key=payload.article,
            body=payload.body,
            parent_id=payload.parent_id,
            title=payload.title,
            url=payload.url,
            author_name=payload.author_name,
            author_email=payload.author_email,
            author_website=payload.author_website,
            notify=payload.notify,
            language=languages.supported(payload.lang),
            anchor=passages.AnchorDraft(**payload.anchor.model_dump())
            if payload.anchor is not None else None,
        ),
        context.author(site),
        settings.comments,
        context.now(),
        events=context.events(),
        screening=spam.Screening(settings.spam, signals),
        passages=settings.passages,
    )
    # Read what the response needs before the commit expires the rows: afterwards the
    # comment and the site would each be loaded again (two queries, ~12% of a post).
    status = posted.comment.status
    if status != CommentStatus.VISIBLE.value:
        held = HeldCommentOut.dump(
            {"id": posted.comment.id, "status": "pending", "message": HELD_MESSAGE})
        db.session.commit()
        COMMENTS_CREATED.labels(status).inc()
        return jsonify(held), 202, {"Cache-Control": "no-store"}
    body = dump_posted_comment({
        "comment": threads.node_from_comment(posted.comment, posted.anchor),
        "edit_token": posted.edit_token,
        "editable_until": posted.editable_until,
    })
    location = url_for(".get_comment", site_slug=site.slug, comment_id=posted.comment.id)
    db.session.commit()
    COMMENTS_CREATED.labels(status).inc()
    return jsonify(body), 201, {"Location": location, "Cache-Control": "no-store"}


@api.get("/sites/<site_slug>/comments/<int:comment_id>")
@limiter.limit(read_limit)
@documented(
    "One comment, without its replies.",
    responses={200: SingleCommentOut},
    errors=(404, 429),
    tags=("comments",),
)
def get_comment(site_slug: str, comment_id: int) -> Response:
    site = context.site(site_slug)
    node = threads.read_comment(db.session, site, comment_id)
    return jsonify(dump_single_comment({"comment": node}))


@api.patch("/sites/<site_slug>/comments/<int:comment_id>")
@limiter.limit(edit_limit)
@documented(
    "Edit your comment's body, within the edit window.",
    body=CommentEdit,
    headers=(EDIT_TOKEN, READER_BEARER),
    responses={200: SingleCommentOut},
    errors=(400, 401, 403, 404, 409, 413, 415, 422, 429),
    tags=("comments",),
)
def edit_comment(site_slug: str, comment_id: int) -> Response:
    site = context.site(site_slug)
    payload = json_body(CommentEdit)
    settings = context.settings()
    comment = author_edits.edit_comment(
        db.session, site, comment_id, _edit_token(), payload.body,
        settings.comments, context.now(), spam_rules=settings.spam, events=context.events(),
        signed_in=_signed_in(site),
    )
    anchor = passages.anchor_of(db.session, comment)
    db.session.commit()
    return jsonify(dump_single_comment({"comment": threads.node_from_comment(comment, anchor)}))


@api.delete("/sites/<site_slug>/comments/<int:comment_id>")
@limiter.limit(edit_limit)
@documented(
    "Delete your comment, within the edit window. One with replies stays as a placeholder.",
    headers=(EDIT_TOKEN, READER_BEARER),
    responses={200: DeletedOut},
    errors=(401, 403, 404, 409, 429),
    tags=("comments",),
)
def delete_comment(site_slug: str, comment_id: int) -> Response:
    site = context.site(site_slug)
    deleted = author_edits.delete_comment(
        db.session, site, comment_id, _edit_token(), context.settings().comments,
        context.now(), context.events(), signed_in=_signed_in(site),
    )
    db.session.commit()
    return jsonify(DeletedOut.dump(deleted))


@api.get("/sites/<site_slug>/comments/<int:comment_id>/replies")
@limiter.limit(read_limit)
@documented(
    "More replies under a top-level comment, depth-first, for \"show more replies\".",
    query=RepliesQuery,
    responses={200: RepliesPageOut},
    errors=(400, 404, 429),
    tags=("comments",),
)
def get_replies(site_slug: str, comment_id: int) -> Response:
    site = context.site(site_slug)
    query = query_args(RepliesQuery)
    tuning = context.settings().threads
    limit = min(query.limit or tuning.replies_per_comment, tuning.max_replies_page_size)
    page = threads.read_replies(db.session, site, comment_id, cursor=query.cursor, limit=limit)
    return jsonify(dump_replies_page(page))
