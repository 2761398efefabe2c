"""GET a page of an article's thread."""

from __future__ import annotations

import hashlib

from flask import Response, jsonify, request

from comments_service.api import api, context
from comments_service.api.openapi import documented
from comments_service.api.parsing import query_args
from comments_service.extensions import db, limiter
from comments_service.limits import read_limit
from comments_service.schemas import ThreadPageOut, ThreadQuery, thread_page_dict
from comments_service.services import threads


@api.get("/sites/<site_slug>/thread")
@limiter.limit(read_limit)
@documented(
    "A page of an article's thread: top-level comments with their first replies nested.",
    query=ThreadQuery,
    responses={200: ThreadPageOut, 304: None},
    errors=(400, 404, 429),
    tags=("threads",),
)
def get_thread(site_slug: str) -> Response:
    site = context.site(site_slug)
    query = query_args(ThreadQuery)
    tuning = context.settings().threads
    limit = min(query.limit or tuning.page_size, tuning.max_page_size)
    replies = tuning.replies_per_comment if query.replies is None else query.replies
    replies = min(replies, tuning.max_replies_page_size)

    thread = threads.find_thread(db.session, site, query.article)
    # The ETag changes with every write to the thread (its version) and with the
    # page asked for, so a revalidation costs one indexed lookup.
    state = f"{site.id}:{thread.id if thread else 0}:{thread.version if thread else 0}"
    asked = f"{query.sort}:{query.cursor}:{limit}:{replies}:{query.passage}"
    etag = hashlib.sha1(f"{state}|{asked}".encode(), usedforsecurity=False).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        page = threads.read_thread(
            db.session, thread, sort=query.sort, cursor=query.cursor, limit=limit,
            replies_per_comment=replies, passage=query.passage,
        )
        response = jsonify(thread_page_dict(page))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response
