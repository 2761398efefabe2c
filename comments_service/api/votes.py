"""PUT or DELETE a reader's vote on a comment; GET the reader's own votes on a page.

Counts are part of every comment in thread pages (shared, cached by ETag); a
reader's own votes are not, so that one page serves every reader. The widget
asks for them here, for the comments it shows, with its reader token.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from comments_service.api import api, context
from comments_service.api.openapi import HeaderParam, documented
from comments_service.api.parsing import json_body, query_args
from comments_service.clients import rate_key
from comments_service.errors import BadRequest
from comments_service.extensions import db
from comments_service.limits import limiter, read_limit, vote_limit
from comments_service.request_client import client_address
from comments_service.schemas import MyVotesOut, MyVotesQuery, NewVote, VoteOut
from comments_service.services import votes

VOTER_TOKEN = HeaderParam(
    votes.READER_HEADER,
    "The random id the widget keeps in localStorage (16-256 letters, digits, '-', '_', "
    "'.', '~'): one vote per reader per comment. Stored only as a keyed hash.",
    required=True,
    schema={"type": "string", "pattern": (
        rf"^[A-Za-z0-9_.~-]{{{votes.MIN_READER_TOKEN},{votes.MAX_READER_TOKEN}}}$")},
)
NO_STORE = {"Cache-Control": "no-store"}
# Casting and undoing share one budget: a vote toggled back and forth counts every time.


def _voter() -> votes.Voter:
    secret = current_app.config["SECRET_KEY"]
    return votes.voter(request.headers.get(VOTER_TOKEN.name), rate_key(client_address(), secret),
                       secret)


@api.put("/sites/<site_slug>/comments/<int:comment_id>/vote")
@limiter.shared_limit(vote_limit, scope="vote")
@documented(
    "Vote on a comment: 1 up, -1 down (where the site takes down votes). One vote per "
    "reader; the same vote again changes nothing, the other one replaces it.",
    body=NewVote,
    headers=(VOTER_TOKEN,),
    responses={200: VoteOut},
    errors=(400, 403, 404, 409, 413, 415, 422, 429),
    tags=("votes",),
)
def put_vote(site_slug: str, comment_id: int) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    payload = json_body(NewVote)
    state = votes.cast_vote(db.session, site, comment_id, payload.value, _voter(),
                            context.settings().votes, context.now())
    db.session.commit()
    return jsonify(VoteOut.dump(state)), 200, NO_STORE


@api.delete("/sites/<site_slug>/comments/<int:comment_id>/vote")
@limiter.shared_limit(vote_limit, scope="vote")
@documented(
    "Undo your vote on a comment (nothing changes when you have none).",
    headers=(VOTER_TOKEN,),
    responses={200: VoteOut},
    errors=(403, 404, 409, 422, 429),
    tags=("votes",),
)
def delete_vote(site_slug: str, comment_id: int) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    state = votes.retract_vote(db.session, site, comment_id, _voter(), context.settings().votes)
    db.session.commit()
    return jsonify(VoteOut.dump(state)), 200, NO_STORE


@api.get("/sites/<site_slug>/my-votes")
@limiter.limit(read_limit)
@documented(
    "Your own votes among these comments (the ones a page shows).",
    query=MyVotesQuery,
    headers=(VOTER_TOKEN,),
    responses={200: MyVotesOut},
    errors=(400, 404, 422, 429),
    tags=("votes",),
)
def get_my_votes(site_slug: str) -> tuple[Response, int, dict[str, str]]:
    site = context.site(site_slug)
    query = query_args(MyVotesQuery)
    most = context.settings().votes.max_lookup_ids
    if len(query.comment) > most:
        raise BadRequest(fields={"comment": f"Ask about {most} comments at most."})
    found = votes.my_votes(db.session, site, _voter(), query.comment)
    body = MyVotesOut.dump({"votes": {str(ident): value for ident, value in found.items()}})
    return jsonify(body), 200, NO_STORE
