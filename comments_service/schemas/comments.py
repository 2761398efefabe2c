"""Posting, reading, editing and deleting one comment; more replies under one (api/comments.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, Field

from comments_service.config import (
    MAX_PASSAGE_CONTEXT,
    MAX_PASSAGE_KEY,
    MAX_PASSAGE_QUOTE,
)
from comments_service.schemas.base import DateTimeOut, OutModel, RowId, StrictModel
from comments_service.schemas.serialize import compile_dump
from comments_service.services.thread_pages import CommentNode, RepliesPage


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
    lang: str | None = Field(
        None, max_length=35,
        description="The reader's language (the widget's, e.g. es, pt-BR, zh-Hant): the "
        "emails this asks for are written in it. One the service does not speak is "
        "ignored (the site's default language is used).")
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


class RepliesQuery(StrictModel):
    cursor: str | None = Field(None, description="replies_cursor from the thread page, or "
                               "next_cursor of the previous replies page.")
    limit: int | None = Field(None, ge=1)


class AuthorOut(OutModel):
    name: str
    website: str | None
    avatar: str = Field(description="A hash to draw an avatar from, locally, with no third party.")
    signed_in: bool = Field(description="Written by a reader signed in with one of the site's "
                            "ways in; the name is theirs (anonymous posters cannot take it).")
    identity: int | None = Field(description="The signed-in author's id on this site (the "
                                 "reader's own comments match GET .../me); null when anonymous.")
    picture: str | None = Field(description="The signed-in author's avatar URL, from their "
                                "provider; null when anonymous or none.")


class AnchorOut(OutModel):
    passage_key: str
    quote: str = Field(description="Plain text: show it as text, never as HTML.")
    prefix: str
    suffix: str


class CommentOut(OutModel):
    # Read from a services.thread_pages.CommentNode, the public's view of a comment.
    id: int
    parent_id: int | None
    reply_to_id: int | None
    depth: int
    status: Literal["visible", "deleted", "pending"] = Field(
        description="pending only in the author's own response to a post held for "
        "moderation; such a comment is not shown to others until approved."
    )
    pinned: bool = Field(validation_alias=AliasChoices("pinned", "is_pinned"),
                         description="Pinned by a moderator: sorts first on every sort.")
    author: AuthorOut | None = Field(description="null for a deleted placeholder.")
    body_html: str = Field(description="Sanitized HTML; empty for a placeholder.")
    score: int = Field(description="Net votes: upvotes - downvotes (imported comments "
                       "bring theirs).")
    upvotes: int
    downvotes: int = Field(description="0 unless the site takes down votes (or once did).")
    created_at: DateTimeOut
    edited_at: DateTimeOut | None
    replies: list[CommentOut] = Field(description="Nested replies shown on this page.")
    replies_total: int = Field(description="Visible replies below a top-level comment.")
    replies_cursor: str | None = Field(description="Fetch more replies with this, if any.")
    anchor: AnchorOut | None = Field(description="The passage a top-level comment is about; "
                                     "null for replies (they belong to their root's).")


class RepliesPageOut(OutModel):
    root_id: int
    comments: list[CommentOut] = Field(description="Depth-first order; nest by parent_id.")
    next_cursor: str | None


class PostedCommentOut(OutModel):
    comment: CommentOut
    edit_token: str = Field(description="Proves authorship for edits and deletion. "
                            "Returned once; keep it.")
    editable_until: DateTimeOut


class HeldCommentOut(OutModel):
    id: int
    status: Literal["pending"]
    message: str = Field(description="Tell the reader their comment awaits moderation.")


class SingleCommentOut(OutModel):
    comment: CommentOut


class DeletedOut(OutModel):
    id: int
    deleted: bool
    placeholder: bool = Field(validation_alias=AliasChoices("placeholder", "is_placeholder"),
                              description="True when kept as a placeholder for its replies.")


# The public comment routes' dumps, compiled from the models above (schemas/serialize.py).
dump_replies_page = compile_dump(RepliesPageOut, RepliesPage)
dump_single_comment = compile_dump(SingleCommentOut, {"comment": CommentNode})
dump_posted_comment = compile_dump(PostedCommentOut, {
    "comment": CommentNode, "edit_token": str, "editable_until": datetime})
