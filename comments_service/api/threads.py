"""GET a page of an article's thread."""

from __future__ import annotations

from flask import Response, jsonify, request

from comments_service.api import api, context, thread_etags
from comments_service.api.openapi import documented
from comments_service.api.parsing import query_args
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit
from comments_service.metrics import THREAD_PAGES
from comments_service.schemas import ThreadPageOut, ThreadQuery, dump_thread_page
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
    limit, replies = thread_etags.page_shape(query, context.settings())

    thread = threads.find_thread(db.session, site, query.article)
    # The ETag changes with every write to the thread (its version) and with the page
    # asked for. thread_front.py answers most revalidations, and pages this process has
    # built already, before this view; here they are answered the same way.
    page_id = thread_etags.page_identity(
        site.id, thread.id if thread else None, query, limit, replies)
    version = thread.version if thread else 0
    etag = thread_etags.thread_etag(page_id, version)
    settings = context.settings()
    accept_encoding = request.headers.get("Accept-Encoding")
    held = thread_etags.revalidated(settings, etag, request.if_none_match, accept_encoding)
    if held is not None:
        return thread_etags.not_modified(etag, held)
    pages = context.page_cache()
    body = pages.get(page_id, version)
    if body is not None:
        THREAD_PAGES.labels("cached").inc()
    else:
        page = threads.read_thread(
            db.session, thread, sort=query.sort, cursor=query.cursor, limit=limit,
            replies_per_comment=replies, passage=query.passage,
        )
        body = jsonify(dump_thread_page(page)).get_data()
        pages.put(page_id, version, body)
        THREAD_PAGES.labels("built").inc()
    # Compressed once per page version and encoding, then kept beside the plain body.
    body, encoding = thread_etags.encoded_body(settings, pages, page_id, version, body,
                                               accept_encoding)
    return thread_etags.page_response(body, etag, encoding)
