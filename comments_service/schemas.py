"""Request validation and response shapes, in one library (pydantic v2).

Request models reject unknown fields. Response models document what the
serializers below produce; tests validate real responses against them so the
OpenAPI document cannot drift from what the service sends. The serializers
themselves build plain dicts from query rows: a page of 500 comments should not
build 500 pydantic objects only to dump them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from comments_service.models import MAX_PASSAGE_CONTEXT, MAX_PASSAGE_KEY, MAX_PASSAGE_QUOTE
from comments_service.services.passages import Anchor, PassageCounts
from comments_service.services.threads import CommentNode, RepliesPage, ThreadPage, ThreadSummary

# Row ids are 32-bit integers in the schema (PostgreSQL int4): a larger number can name
# no row, and must be refused as a bad field rather than reach the database.
MAX_ROW_ID = 2**31 - 1


def digits_up_to(bound: int) -> str:
    """A regex matching exactly the decimal numbers 0..bound (no sign, no leading zeros)."""
    text = str(bound)
    choices = [f"[1-9][0-9]{{0,{len(text) - 2}}}" if len(text) > 1 else "", "0"]
    for i, digit in enumerate(text):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(text) - i - 1
            choices.append(f"{text[:i]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    choices.append(text)
    return "(?:" + "|".join(c for c in choices if c) + ")"


# The decimal numbers 0..MAX_ROW_ID: the id converter of every route, headers that carry ids.
ROW_ID_DIGITS = digits_up_to(MAX_ROW_ID)


def _whole_number(value: Any) -> Any:
    """3.0 as 3: JSON does not tell them apart, and JSON Schema calls both integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Integer fields of requests: whole floats pass (strict parsing refuses them). The
# validator comes last so the bounds stay on the integer and in the JSON Schema.
WholeNumber = BeforeValidator(_whole_number)
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID), WholeNumber]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests -------------------------------------------------------------


class AnchorIn(StrictModel):
    """Where in the article a comment belongs (a W3C Web Annotation TextQuoteSelector).

    Plain text, never rendered as HTML. passages.max_key_chars, max_quote_chars and
    context_chars bound the lengths (422 naming the field).
    """

    passage_key: str = Field(max_length=MAX_PASSAGE_KEY, description="The page's "
                             "data-comments-passage id, or an automatic paragraph key; "
                             "letters, digits and - _ . : only.")
    quote: str = Field(max_length=MAX_PASSAGE_QUOTE, description="The exact text selected.")
    prefix: str = Field("", max_length=MAX_PASSAGE_CONTEXT,
                        description="A little of the text right before the quote.")
    suffix: str = Field("", max_length=MAX_PASSAGE_CONTEXT,
                        description="A little of the text right after the quote.")


class NewComment(StrictModel):
    """A new comment, or a reply when parent_id is given."""

    article: str = Field(description="The article's key on this site; its thread is created "
                         "on the first comment.", min_length=1)
    title: str | None = Field(None, description="The article's title, stored with its thread.")
    url: str | None = Field(None, description="The article's URL (http or https).")
    parent_id: RowId | None = Field(None, description="The comment this one replies to.")
    author_name: str | None = None
    author_email: str | None = Field(None, description="Never shown to other readers.")
    author_website: str | None = None
    body: str = Field(description="Markdown.")
    notify: Literal["none", "replies", "all"] = Field(
        "none", description="Email the author about replies to their comments, or about "
        "every new comment in the thread. Needs author_email; nothing is sent until the "
        "address is confirmed once by a link.")
    # Spam defences (services/spam.py); neither is ever stored.
    hp: str | None = Field(
        None,
        max_length=1000,
        description="Honeypot: the widget's hidden field, which people leave empty. Send "
        "nothing or an empty string; any text marks the comment as spam.",
    )
    form_token: str | None = Field(
        None,
        max_length=200,
        description="The token from GET /sites/{site_slug}/form-token, fetched when the form "
        "was shown. Checked whenever sent; required when the service says so.",
    )
    anchor: AnchorIn | None = Field(
        None, description="The passage of the article a top-level comment is about "
        "(replies belong to their root's passage).")


class CommentEdit(StrictModel):
    body: str = Field(description="The new Markdown body.")


SortOrder = Literal["oldest", "newest", "top"]


class ThreadQuery(StrictModel):
    article: str = Field(min_length=1)
    sort: SortOrder = "oldest"
    cursor: str | None = Field(None, description="next_cursor of the previous page.")
    limit: int | None = Field(None, ge=1, description="Top-level comments per page.")
    replies: int | None = Field(None, ge=0, description="Replies shown under each comment.")
    passage: str | None = Field(None, min_length=1, max_length=MAX_PASSAGE_KEY,
                                pattern=r"^[A-Za-z0-9_.:-]+$",
                                description="Only the comments on this passage key.")


class RepliesQuery(StrictModel):
    cursor: str | None = Field(None, description="replies_cursor from the thread page, or "
                               "next_cursor of the previous replies page.")
    limit: int | None = Field(None, ge=1)


class NewSubscription(StrictModel):
    """Follow an article's thread by email without posting."""

    article: str = Field(min_length=1, description="The article's key on this site.")
    email: str = Field(description="Gets a confirmation link first unless confirmed before.")
    notify: Literal["all"] = Field("all", description="Every new comment in the thread.")


class NewReaderDataRequest(StrictModel):
    """Ask for a link, by email, to every comment posted with this address on the site."""

    email: str = Field(description="The address the comments were posted with.")


class PassagesQuery(StrictModel):
    article: str = Field(min_length=1, description="The article's key on this site.")


class CountsQuery(StrictModel):
    article: list[str] = Field(min_length=1, description="Repeat for each article key.")


class NewFlag(StrictModel):
    """A reader's report of a comment to the site's moderators."""

    # The document says what services/flags.py checks: "other" needs a text.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
        "then": {"required": ["text"],
                 "properties": {"text": {"type": "string", "pattern": r"\S"}}},
    })

    reason: Literal["spam", "abuse", "off_topic", "other"]
    text: str | None = Field(None, description="What is wrong; required for reason "
                             "\"other\" (moderation.max_flag_text_chars at most).")


# ---- responses ------------------------------------------------------------


class AuthorOut(StrictModel):
    name: str
    website: str | None
    avatar: str = Field(description="A hash to draw an avatar from, locally, with no third party.")


class AnchorOut(StrictModel):
    passage_key: str
    quote: str = Field(description="Plain text: show it as text, never as HTML.")
    prefix: str
    suffix: str


class CommentOut(StrictModel):
    id: int
    parent_id: int | None
    reply_to_id: int | None
    depth: int
    status: Literal["visible", "deleted", "pending"] = Field(
        description="pending only in the author's own response to a post held for "
        "moderation; such a comment is not shown to others until approved."
    )
    pinned: bool = Field(description="Pinned by a moderator: sorts first on every sort.")
    author: AuthorOut | None = Field(description="null for a deleted placeholder.")
    body_html: str = Field(description="Sanitized HTML; empty for a placeholder.")
    score: int = Field(description="Net votes: upvotes - downvotes (imported comments "
                       "bring theirs).")
    upvotes: int
    downvotes: int = Field(description="0 unless the site takes down votes (or once did).")
    created_at: datetime
    edited_at: datetime | None
    replies: list[CommentOut] = Field(description="Nested replies shown on this page.")
    replies_total: int = Field(description="Visible replies below a top-level comment.")
    replies_cursor: str | None = Field(description="Fetch more replies with this, if any.")
    anchor: AnchorOut | None = Field(description="The passage a top-level comment is about; "
                                     "null for replies (they belong to their root's).")


class ThreadOut(StrictModel):
    article: str
    title: str | None
    url: str | None
    is_locked: bool
    total_count: int
    visible_count: int


class ThreadPageOut(StrictModel):
    thread: ThreadOut | None = Field(description="null until the article's first comment "
                                     "(or first subscription).")
    sort: SortOrder
    comments: list[CommentOut]
    next_cursor: str | None


class RepliesPageOut(StrictModel):
    root_id: int
    comments: list[CommentOut] = Field(description="Depth-first order; nest by parent_id.")
    next_cursor: str | None


class PostedCommentOut(StrictModel):
    comment: CommentOut
    edit_token: str = Field(description="Proves authorship for edits and deletion. "
                            "Returned once; keep it.")
    editable_until: datetime


class HeldCommentOut(StrictModel):
    id: int
    status: Literal["pending"]
    message: str = Field(description="Tell the reader their comment awaits moderation.")


class FormTokenOut(StrictModel):
    token: str = Field(description="Send it back as form_token with the comment.")
    issued_at: datetime


class SingleCommentOut(StrictModel):
    comment: CommentOut


class DeletedOut(StrictModel):
    id: int
    deleted: bool
    placeholder: bool = Field(description="True when kept as a placeholder for its replies.")


class ReaderDataRequestOut(StrictModel):
    message: str


class SubscriptionOut(StrictModel):
    article: str
    notify: Literal["all", "replies"] = Field(description="What the address follows now.")
    message: str = Field(description="The same for confirmed and new addresses.")


class CountsOut(StrictModel):
    counts: dict[str, int]


class PassageCountsOut(StrictModel):
    counts: dict[str, int] = Field(description="Visible comments (with their visible "
                                   "replies) per passage key; passages with none left out.")
    anchors: dict[str, AnchorOut] = Field(description="Per passage key, the anchor of its "
                                          "first comment: to place a passage by its text.")


class PassagesConfigOut(StrictModel):
    enabled: bool
    max_quote_chars: int
    context_chars: int
    auto_paragraphs: bool = Field(description="Anchor to the article's paragraphs when the "
                                  "page marks no passages.")


class FlaggedOut(StrictModel):
    flagged: bool
    comment_id: int


class PublicConfigOut(StrictModel):
    site: str
    name: str
    require_name: bool
    require_email: bool
    max_body_chars: int
    max_depth: int
    edit_window_seconds: int
    page_size: int
    replies_per_comment: int
    notifications: bool = Field(description="Whether readers may ask for email "
                                "notifications (the post's notify field, subscriptions).")
    flags: bool = Field(description="Readers may flag comments for moderators.")
    reader_data: bool = Field(description="Readers may ask for a mailed link to download "
                              "or erase their own comments (POST .../reader-data).")
    passages: PassagesConfigOut = Field(description="Comments on passages of the article.")
    votes: bool = Field(description="Readers may vote on comments.")
    downvotes: bool = Field(description="Down votes are taken too, not only up votes.")


class ErrorDetail(StrictModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(StrictModel):
    error: ErrorDetail


# ---- serializers ----------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def comment_dict(node: CommentNode) -> dict[str, Any]:
    """A comment (and the replies attached to it) as the public sees it."""
    if node.is_placeholder:
        author = None
        body_html = ""
        status = "deleted"
    else:
        author = {"name": node.author_name, "website": node.author_website,
                  "avatar": node.avatar}
        body_html = node.body_html
        status = "pending" if node.is_pending else "visible"
    return {
        "id": node.id,
        "parent_id": node.parent_id,
        "reply_to_id": node.reply_to_id,
        "depth": node.depth,
        "status": status,
        "pinned": node.is_pinned,
        "author": author,
        "body_html": body_html,
        "score": node.score,
        "upvotes": node.upvotes,
        "downvotes": node.downvotes,
        "created_at": _iso(node.created_at),
        "edited_at": _iso(node.edited_at),
        "replies": [comment_dict(child) for child in node.replies],
        "replies_total": node.replies_total,
        "replies_cursor": node.replies_cursor,
        "anchor": anchor_dict(node.anchor) if node.anchor is not None else None,
    }


def anchor_dict(anchor: Anchor) -> dict[str, str]:
    return {"passage_key": anchor.passage_key, "quote": anchor.quote,
            "prefix": anchor.prefix, "suffix": anchor.suffix}


def passage_counts_dict(passages: PassageCounts) -> dict[str, Any]:
    return {"counts": passages.counts,
            "anchors": {key: anchor_dict(a) for key, a in passages.anchors.items()}}


def thread_dict(thread: ThreadSummary | None) -> dict[str, Any] | None:
    if thread is None:
        return None
    return {
        "article": thread.article_key,
        "title": thread.title,
        "url": thread.url,
        "is_locked": thread.is_locked,
        "total_count": thread.total_count,
        "visible_count": thread.visible_count,
    }


def thread_page_dict(page: ThreadPage) -> dict[str, Any]:
    return {
        "thread": thread_dict(page.thread),
        "sort": page.sort,
        "comments": [comment_dict(node) for node in page.comments],
        "next_cursor": page.next_cursor,
    }


def replies_page_dict(page: RepliesPage) -> dict[str, Any]:
    return {
        "root_id": page.root_id,
        "comments": [comment_dict(node) for node in page.comments],
        "next_cursor": page.next_cursor,
    }


def iso(value: datetime) -> str:
    return _iso(value) or ""


# ---- votes --------------------------------------------------------------------------


class NewVote(StrictModel):
    """A reader's vote on a comment; the same vote again changes nothing."""

    # A strict int, then checked by services/votes.py: Literal[1, -1] would take true as 1.
    value: StrictInt = Field(description="1: up; -1: down (only where the site takes "
                             "down votes).", json_schema_extra={"enum": [1, -1]})


class VoteOut(StrictModel):
    comment_id: int
    upvotes: int
    downvotes: int
    score: int = Field(description="upvotes - downvotes.")
    my_vote: Literal[1, 0, -1] = Field(description="The reader's own vote now (0: none).")


class MyVotesQuery(StrictModel):
    comment: list[RowId] = Field(min_length=1, description="Repeat for each comment id "
                                 "(at most votes.max_lookup_ids).")


class MyVotesOut(StrictModel):
    votes: dict[str, Literal[1, -1]] = Field(description="The reader's vote by comment id; "
                                             "comments without one are left out.")
