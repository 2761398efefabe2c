"""GET live updates of an article's thread: a Server-Sent Events stream, or a long poll.

The view does its database work first (one short query: the marker to start
from, or what was missed since Last-Event-ID), releases the session, and only
then returns the stream. The stream runs outside the app context and never
touches the database while it waits: it only reads its broker subscription.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, jsonify, request

from comments_service import live
from comments_service.api import api, context
from comments_service.api.openapi import HeaderParam, documented
from comments_service.api.parsing import query_args
from comments_service.clients import rate_key
from comments_service.config import ROW_ID_DIGITS, as_row_id
from comments_service.errors import BadRequest, LiveOff, StreamsBusy, TooManyStreams
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit
from comments_service.live.broker import BrokerUnavailable, LiveEvent, Subscription, channel_for
from comments_service.live.slots import ProcessFull, Slot, TooManyForClient
from comments_service.request_client import client_address
from comments_service.schemas.live import LiveEventsOut, LiveQuery
from comments_service.services import drafts
from comments_service.services import live as live_rules

LAST_EVENT_ID = HeaderParam(
    "Last-Event-ID", "Sent by EventSource on reconnect; the same as `since`.",
    schema={"type": "string", "pattern": f"^{ROW_ID_DIGITS}$"},
)
# One event of the text/event-stream answer, as the OpenAPI document describes it.
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "description": "Server-Sent Events (without poll=1): `retry`, then `comment` events "
    "(data: the comment as JSON; id: the marker to resume from), one `ready` event, and "
    "`: heartbeat` comments while idle.",
    "properties": {
        "event": {"type": "string", "enum": ["comment", "ready"]},
        "data": {"type": "string"},
        "id": {"type": "string", "pattern": r"^[0-9]+$"},
        "retry": {"type": "integer", "minimum": 0},
    },
}
# How soon an EventSource reconnects after the server ended the stream (ms).
RECONNECT_MS = 2000


def _since(query: LiveQuery) -> int | None:
    header = request.headers.get(LAST_EVENT_ID.name)
    # Checked even when `since` wins: a header the document refuses is refused here too.
    if header is not None and not re.fullmatch(ROW_ID_DIGITS, header):
        raise BadRequest(fields={LAST_EVENT_ID.name: "Send the id of an event you got."})
    if header is None or query.since is not None:
        return query.since
    since = as_row_id(header)
    if since is None:
        raise BadRequest(fields={LAST_EVENT_ID.name: "Send the id of an event you got."})
    return since


def _acquire(runtime: live.LiveRuntime) -> Slot:
    retry = str(int(runtime.settings.heartbeat_seconds))
    key = rate_key(client_address(), current_app.config["SECRET_KEY"])
    try:
        return runtime.slots.acquire(key)
    except TooManyForClient:
        raise TooManyStreams(headers={"Retry-After": retry}) from None
    except ProcessFull:
        raise StreamsBusy(headers={"Retry-After": retry}) from None


def _subscribe(runtime: live.LiveRuntime, channel: str, slot: Slot) -> Subscription:
    try:
        return runtime.broker.subscribe(channel)
    except BrokerUnavailable:
        slot.release()
        raise StreamsBusy(headers={"Retry-After": str(RECONNECT_MS // 1000)}) from None


@functools.lru_cache(maxsize=64)
def _event_json(event: LiveEvent) -> str:
    # Once per event, not once per reader: a publish reaches thousands of streams.
    return event.to_json()


def _sse(event: LiveEvent, marker: int) -> str:
    return f"id: {marker}\nevent: comment\ndata: {_event_json(event)}\n\n"


def _stream(runtime: live.LiveRuntime, subscription: Subscription, slot: Slot,
            missed: list[LiveEvent], marker: int) -> Iterator[str]:
    """The events, heartbeats while idle, and an end after live.max_stream_seconds."""
    settings = runtime.settings
    sent = {event.comment_id for event in missed}
    try:
        yield f"retry: {RECONNECT_MS}\n\n"
        for event in missed:
            yield _sse(event, event.comment_id)
        yield f"id: {marker}\nevent: ready\ndata: {{}}\n\n"
        deadline = time.monotonic() + settings.max_stream_seconds
        while (left := deadline - time.monotonic()) > 0:
            event = subscription.get(timeout=min(settings.heartbeat_seconds, left))
            if subscription.is_stale:
                break  # fell behind or lost the broker: the reader replays on reconnect
            if event is None:
                yield ": heartbeat\n\n"
            elif event.comment_id not in sent:
                sent.add(event.comment_id)
                # A comment approved late has a smaller id; the marker never goes back.
                marker = max(marker, event.comment_id)
                yield _sse(event, marker)
            # Resumed: the server has written what was yielded (or there was nothing).
            subscription.written()
    finally:
        subscription.close()
        slot.release()


def _wait_for_news(runtime: live.LiveRuntime, subscription: Subscription,
                   missed: list[LiveEvent]) -> list[LiveEvent]:
    if missed:
        return missed
    event = subscription.get(timeout=runtime.settings.poll_seconds)
    return [event] if event is not None and not subscription.is_stale else []


@api.get("/sites/<site_slug>/thread/events")
@limiter.limit(read_limit)
@documented(
    "New comments of an article's thread as they become visible: a text/event-stream "
    "(events `comment`, then `ready` with the id to resume from, heartbeats as comments), "
    "or with poll=1 one long-poll answer as JSON. Counted as one read per connection.",
    query=LiveQuery,
    headers=(LAST_EVENT_ID,),
    responses={200: LiveEventsOut},
    errors=(400, 404, 429, 503),
    tags=("threads",),
    streams={"text/event-stream": SSE_EVENT},
)
def thread_events(site_slug: str) -> Response:
    runtime = live.runtime()
    if runtime is None:
        raise LiveOff()
    site = context.site(site_slug)
    query = query_args(LiveQuery)
    since = _since(query)
    # The thread's key as posting stores it, so both name the same channel.
    article_key, problem = drafts.clean_article_key(query.article, context.settings().comments)
    if problem:
        raise BadRequest(fields={"article": problem})
    slot = _acquire(runtime)
    subscription = _subscribe(runtime, channel_for(site.id, article_key), slot)
    try:
        # Subscribed first, then read: whatever commits after this query is in the queue.
        if since is None:
            missed: list[LiveEvent] = []
            marker = live_rules.latest_comment_id(db.session)
        else:
            missed = live_rules.visible_since(
                db.session, site.id, article_key, since, runtime.settings.replay_limit
            )
            marker = missed[-1].comment_id if missed else since
        # Nothing below waits on the database: give its connection back now.
        db.session.close()
    except BaseException:
        subscription.close()
        slot.release()
        raise
    if query.poll:
        try:
            news = _wait_for_news(runtime, subscription, missed) if since is not None else []
        finally:
            subscription.close()
            slot.release()
        marker = max([marker, *(event.comment_id for event in news)])
        answer = LiveEventsOut.model_validate({"events": news, "last_event_id": marker},
                                              from_attributes=True)
        response = jsonify(answer.model_dump(mode="json"))
        response.headers["Cache-Control"] = "no-store"
        return response
    response = Response(
        _stream(runtime, subscription, slot, missed, marker),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    # If the server closes the response before the stream's first step, the slot
    # and the subscription are still given back.
    response.call_on_close(subscription.close)
    response.call_on_close(slot.release)
    return response
