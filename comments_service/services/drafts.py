"""What a reader sends with a comment, cleaned and checked before anything is written.

The client can set only the draft's fields (ids, times, status and counts are
never taken from it); lengths, addresses and URLs are validated here, in one
place, for posting and for the importers. posting.py renders and stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from comments_service import sanitize
from comments_service.config import (
    CommentSettings,
    PassageSettings,
)
from comments_service.errors import (
    ValidationFailed,
)
from comments_service.services import notifications as notify_rules
from comments_service.services import passages as passage_rules

# C0 controls and DEL, except tab and newline (kept in bodies only).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CommentDraft:
    """What a reader may set on a new comment; everything else the service decides."""

    article_key: str
    body: str
    parent_id: int | None = None
    title: str | None = None
    url: str | None = None
    author_name: str | None = None
    author_email: str | None = None
    author_website: str | None = None
    # Email notifications the author asks for: "none", "replies" or "all".
    notify: str = "none"
    # passages (issue 9): the passage of the article a top-level comment is about.
    anchor: passage_rules.AnchorDraft | None = None
    # The reader's language (issue 20): a supported code or None (languages.supported).
    language: str | None = None


@dataclass(frozen=True)
class CleanDraft:
    article_key: str
    body: str
    title: str | None
    url: str | None
    author_name: str | None
    author_email: str | None
    author_website: str | None
    notify: str
    anchor: passage_rules.Anchor | None = None
    language: str | None = None


# ---- validation -------------------------------------------------------------


def _one_line(value: str | None) -> str | None:
    """Trim, drop control characters (no header or log injection), fold whitespace."""
    if value is None:
        return None
    value = _SPACES.sub(" ", _ANY_CONTROL.sub(" ", value)).strip()
    return value or None


def clean_body(body: str, rules: CommentSettings, fields: dict[str, str]) -> str:
    """The body with NULs and stray controls removed; records an error when blank or long.

    Blank is ``sanitize.is_blank``: nothing but whitespace and invisible characters.
    """
    body = _CONTROL.sub("", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if sanitize.is_blank(body):
        fields["body"] = "Write something first."
    elif len(body) > rules.max_body_chars:
        fields["body"] = f"Keep it under {rules.max_body_chars} characters ({len(body)} now)."
    return body


def clean_web_url(value: str | None, limit: int) -> tuple[str | None, str | None]:
    """(url, error): an http(s) URL with a host and no credentials, https:// added if bare."""
    value = _one_line(value)
    if value is None:
        return None, None
    if len(value) > limit:
        return None, f"Keep it under {limit} characters."
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None, "Not a valid web address."
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None, "Use an http:// or https:// address."
    if parts.username or parts.password or " " in value:
        return None, "Not a valid web address."
    if len(value) > limit:
        return None, f"Keep it under {limit} characters."
    return value, None


def clean_article_key(value: str, rules: CommentSettings) -> tuple[str, str | None]:
    """(key, error): the article key trimmed, refused with control characters or too long."""
    key = value.strip()
    if not key or _ANY_CONTROL.search(key):
        return key, "Give the article's key, without control characters."
    if len(key) > rules.max_article_key_chars:
        return key, f"Keep it under {rules.max_article_key_chars} characters."
    return key, None


def clean_email(value: str | None, rules: CommentSettings) -> tuple[str | None, str | None]:
    """(address, error): a normalized email address (no deliverability check), or None."""
    email = _one_line(value)
    if email is None:
        return None, None
    if len(email) > rules.max_email_chars:
        return None, f"Keep it under {rules.max_email_chars} characters."
    try:
        return validate_email(email, check_deliverability=False).normalized, None
    except EmailNotValidError as exc:
        return None, str(exc)


def validate_draft(
    draft: CommentDraft, rules: CommentSettings, passages: PassageSettings | None = None
) -> CleanDraft:
    """Check every field of a draft against the configured rules, reporting all problems.

    An anchor is checked against ``passages`` (refused when None or turned off).
    Raises ValidationFailed with one message per bad field.
    """
    fields: dict[str, str] = {}

    article_key, article_error = clean_article_key(draft.article_key, rules)
    if article_error:
        fields["article"] = article_error

    body = clean_body(draft.body, rules, fields)

    title = _one_line(draft.title)
    if title is not None and len(title) > rules.max_title_chars:
        fields["title"] = f"Keep it under {rules.max_title_chars} characters."

    url, url_error = clean_web_url(draft.url, rules.max_url_chars)
    if url_error:
        fields["url"] = url_error

    name = _one_line(draft.author_name)
    if name is None and rules.require_name:
        fields["author_name"] = "Please give a name."
    elif name is not None and len(name) > rules.max_name_chars:
        fields["author_name"] = f"Keep it under {rules.max_name_chars} characters."

    email, email_error = clean_email(draft.author_email, rules)
    if email_error:
        fields["author_email"] = email_error
    elif email is None and rules.require_email:
        fields["author_email"] = "Please give an email address."
    # Notifications (issue 5): asking for them needs an address to send them to.
    if draft.notify not in notify_rules.NOTIFY_CHOICES:
        fields["notify"] = "Choose none, replies or all."
    elif draft.notify != "none" and email is None and "author_email" not in fields:
        fields["author_email"] = "Give an email address to be notified."

    website, website_error = clean_web_url(draft.author_website, rules.max_website_chars)
    if website_error:
        fields["author_website"] = website_error

    anchor = None
    if draft.anchor is not None:
        anchor = passage_rules.clean_anchor(
            draft.anchor, passages, is_reply=draft.parent_id is not None, fields=fields
        )

    if fields:
        raise ValidationFailed(fields=fields)
    return CleanDraft(article_key, body, title, url, name, email, website, draft.notify,
                       anchor, draft.language)
