"""Spam defences on new comments: rules that cost a reader nothing.

A new comment is judged, in this order, by

1. the duplicate rule: the same body from the same author (client address hash
   or email) within ``duplicate_window_seconds`` is refused outright (409), so a
   double-clicked "Post" never makes two comments, whatever the site's action;
2. the local rules, each named in ``RULES``: a filled honeypot field, a form
   token that is missing (when required), forged, for another site, too fresh
   (the form was filled faster than a human types) or expired, more links than
   ``max_links``, a blocked word;
3. an Akismet-compatible checker, asked only when no local rule tripped. It
   gets ``checker_timeout_s`` at most; when it is down, slow or answers
   nonsense the comment is judged without it (fail open) and a warning logged.

A comment that trips a rule is rejected (``SpamRejected``, one message whatever
the rule) or, when the site's action is "hold", stored as pending for
moderators. The site's ``settings["spam_action"]`` overrides [spam] action.

Framework-free: takes a Session and plain values. The only I/O besides the
one duplicate query is the checker's HTTP request.
"""

from __future__ import annotations

import functools
import http.client
import logging
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comments_service import sanitize
from comments_service.clients import anonymize
from comments_service.config import SPAM_ACTIONS, SpamSettings
from comments_service.errors import DuplicateComment, SpamRejected
from comments_service.models import Comment, CommentStatus, Site, Thread

log = logging.getLogger(__name__)

HONEYPOT = "honeypot"
FORM_TOKEN = "form_token"  # noqa: S105 - a rule name
LINKS = "links"
BLOCKED_WORDS = "blocked_words"
CHECKER = "checker"
RULES = (HONEYPOT, FORM_TOKEN, LINKS, BLOCKED_WORDS, CHECKER)

FORM_TOKEN_SALT = "comments.form-token"  # noqa: S105 - a salt, not a secret
"""itsdangerous salt: a form token cannot pass for any other signed value of the service."""

SITE_ACTION_KEY = "spam_action"
"""Key in Site.settings choosing "reject" or "hold" for that site."""

CHECKER_ANSWER_BYTES = 64
# Requests to the checker run here so that posting waits at most the timeout, however
# the checker's server dribbles its answer. Threads start on first use (after a fork).
_CHECKER_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="spam-checker")


@dataclass(frozen=True)
class Signals:
    """What the request tells about how a comment was written, beyond the comment."""

    honeypot: str | None = None
    form_token: str | None = None
    # Sent by a browser (an Origin header): a page's script, never a plain API client.
    from_browser: bool = False
    user_agent: str | None = None
    referrer: str | None = None
    # The client's full address; only the checker sees it, and only its network
    # unless [spam] checker_sends_address.
    client_address: str | None = None


@dataclass(frozen=True)
class Screening:
    """What posting needs to screen a new comment: the rules and the request's signals."""

    rules: SpamSettings
    signals: Signals


@dataclass(frozen=True)
class Candidate:
    """A new comment after validation and rendering, as the rules see it."""

    body: str
    body_html: str
    author_name: str | None = None
    author_email: str | None = None
    author_website: str | None = None
    permalink: str | None = None
    is_reply: bool = False
    # The article it is posted under (the duplicate rule's scope).
    article_key: str = ""


@dataclass(frozen=True)
class FormToken:
    token: str
    issued_at: datetime


# ---- form tokens ------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=FORM_TOKEN_SALT)


def issue_form_token(secret: str, site_slug: str) -> FormToken:
    """A signed token for a comment form of this site, stamped with the current time."""
    serializer = _serializer(secret)
    token = serializer.dumps({"site": site_slug})
    _, issued_at = serializer.loads(token, return_timestamp=True)
    return FormToken(token=token, issued_at=issued_at)


def form_token_problem(
    token: str | None, secret: str, site_slug: str, rules: SpamSettings, now: datetime,
    *, from_browser: bool = False,
) -> str | None:
    """What is wrong with a comment's form token, or None when it passes.

    One of "missing" (only when tokens are required: always, or for comments a browser
    sent), "forged" (bad signature or
    payload), "other_site", "too_fast" (younger than form_token_min_seconds at
    ``now``) and "expired" (older than form_token_max_age_seconds).
    """
    if not token:
        required = rules.form_token_required or (
            from_browser and rules.form_token_required_for_browsers)
        return "missing" if required else None
    try:
        payload, issued_at = _serializer(secret).loads(token, return_timestamp=True)
    except BadSignature:
        return "forged"
    if not isinstance(payload, dict):
        return "forged"
    if payload.get("site") != site_slug:
        return "other_site"
    age = (now - issued_at).total_seconds()
    if age < rules.form_token_min_seconds:
        return "too_fast"
    if age > rules.form_token_max_age_seconds:
        return "expired"
    return None


# ---- local rules ------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _blocked_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    phrases = [r"\s+".join(re.escape(part) for part in word.split()) for word in words]
    phrases = sorted((p for p in phrases if p), key=len, reverse=True)
    if not phrases:
        return None
    # Look-arounds rather than \b, so that a listed word may begin or end with punctuation.
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


def has_blocked_word(text: str, words: tuple[str, ...]) -> bool:
    """Whether text contains a listed word or phrase, case-insensitively, as a whole word."""
    pattern = _blocked_pattern(words)
    return bool(pattern and pattern.search(text))


def content_rules(candidate: Candidate, rules: SpamSettings) -> list[str]:
    """The rules the comment's own content trips: too many links, a blocked word."""
    tripped = []
    if sanitize.count_links(candidate.body_html) > rules.max_links:
        tripped.append(LINKS)
    texts = (candidate.body, candidate.author_name or "", candidate.author_website or "")
    if any(has_blocked_word(text, rules.blocked_words) for text in texts):
        tripped.append(BLOCKED_WORDS)
    return tripped


def local_rules(
    candidate: Candidate,
    signals: Signals,
    rules: SpamSettings,
    secret: str,
    site_slug: str,
    now: datetime,
) -> list[str]:
    """Every rule the comment trips without asking anyone else, in RULES order."""
    tripped = []
    if signals.honeypot and signals.honeypot.strip():
        tripped.append(HONEYPOT)
    if form_token_problem(signals.form_token, secret, site_slug, rules, now,
                          from_browser=signals.from_browser):
        tripped.append(FORM_TOKEN)
    return tripped + content_rules(candidate, rules)


# ---- duplicates -------------------------------------------------------------------------


def is_duplicate(
    session: Session,
    body: str,
    client_hash: str | None,
    author_email: str | None,
    since: datetime,
    *,
    site_id: int,
    article_key: str,
) -> bool:
    """Whether this author already posted this exact body on this article since ``since``.

    The author is whoever shares the client hash or the email. Only the same
    article counts: a double submission or a repeated paste into one thread is
    refused, while a short "Thanks!" under two different articles is not. One
    query, served by ix_comments_client_recent / ix_comments_email_recent.
    """
    same_author = []
    if client_hash:
        same_author.append(Comment.client_hash == client_hash)
    if author_email:
        same_author.append(Comment.author_email == author_email)
    if not same_author:
        return False
    # Where the author's identical bodies went: found through the author's indexes,
    # then each thread by its key; the article is compared here, not in SQL, so no
    # planner starts from the thread and reads a busy thread's every comment.
    query = (
        select(Thread.site_id, Thread.article_key)
        .join_from(Comment, Thread, Thread.id == Comment.thread_id)
        .where(or_(*same_author), Comment.created_at >= since, Comment.body_markdown == body)
    )
    return (site_id, article_key) in {tuple(row) for row in session.execute(query)}


# ---- the checker --------------------------------------------------------------------


def _post_form(url: str, form: dict[str, str], timeout: float) -> str:
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL from config
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "comments_service (Akismet-compatible client)",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.read(CHECKER_ANSWER_BYTES).decode("utf-8", "replace").strip()


def checker_form(
    candidate: Candidate, signals: Signals, rules: SpamSettings, blog_url: str
) -> dict[str, str]:
    """The comment-check form fields (Akismet's names); empty values left out."""
    address = signals.client_address
    if address and not rules.checker_sends_address:
        address = anonymize(address)
    fields = {
        "api_key": rules.checker_key,
        "blog": blog_url,
        "user_ip": address,
        "user_agent": signals.user_agent,
        "referrer": signals.referrer,
        "permalink": candidate.permalink,
        "comment_type": "reply" if candidate.is_reply else "comment",
        "comment_author": candidate.author_name,
        "comment_author_email": candidate.author_email,
        "comment_author_url": candidate.author_website,
        "comment_content": candidate.body,
        "blog_charset": "UTF-8",
    }
    return {name: value for name, value in fields.items() if value}


def ask_checker(
    candidate: Candidate, signals: Signals, rules: SpamSettings, blog_url: str
) -> bool | None:
    """The checker's verdict: True for spam, False for not, None when it could not say.

    Waits at most checker_timeout_s. Never raises: a checker that is down, slow
    or answers anything but "true"/"false" is logged and worth None.
    """
    if not rules.checker_url:
        return None
    form = checker_form(candidate, signals, rules, blog_url)
    future = _CHECKER_POOL.submit(_post_form, rules.checker_url, form, rules.checker_timeout_s)
    try:
        answer = future.result(timeout=rules.checker_timeout_s)
    except FutureTimeout:
        future.cancel()
        log.warning("spam_checker_unavailable", extra={"reason": "timeout"})
        return None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # Down, refused, reset, timed out, HTTP error status, malformed URL or answer.
        log.warning("spam_checker_unavailable", extra={"reason": type(exc).__name__})
        return None
    if answer in ("true", "false"):
        return answer == "true"
    log.warning("spam_checker_unavailable", extra={"reason": "unexpected_answer"})
    return None


# ---- the verdict --------------------------------------------------------------------


def action_for(site_settings: Mapping[str, Any] | None, default: str) -> str:
    """The site's spam action ("reject" or "hold"), or the service default."""
    chosen = (site_settings or {}).get(SITE_ACTION_KEY)
    if chosen is None:
        return default
    if chosen not in SPAM_ACTIONS:
        log.warning("site_spam_action_unknown", extra={"value": str(chosen)[:40]})
        return default
    return str(chosen)


def _blog_url(site: Site, candidate: Candidate) -> str:
    origins = site.allowed_origins or []
    return origins[0] if origins else (candidate.permalink or "")


def judge(
    session: Session,
    site: Site,
    candidate: Candidate,
    client_hash: str | None,
    secret: str,
    screening: Screening,
    now: datetime,
) -> CommentStatus:
    """The status a new comment is stored with: VISIBLE, or PENDING when held as spam.

    Raises DuplicateComment for the author's same body within the window, and
    SpamRejected when a rule tripped and the site's action is "reject".
    """
    rules, signals = screening.rules, screening.signals
    if not rules.enabled:
        return CommentStatus.VISIBLE
    if rules.duplicate_window_seconds > 0:
        since = now - timedelta(seconds=rules.duplicate_window_seconds)
        if is_duplicate(session, candidate.body, client_hash, candidate.author_email, since,
                        site_id=site.id, article_key=candidate.article_key):
            log.info("comment_duplicate", extra={"site": site.slug})
            raise DuplicateComment()
    tripped = local_rules(candidate, signals, rules, secret, site.slug, now)
    if not tripped and ask_checker(candidate, signals, rules, _blog_url(site, candidate)):
        tripped.append(CHECKER)
    if not tripped:
        return CommentStatus.VISIBLE
    action = action_for(site.settings, rules.action)
    log.info(
        "comment_screened",
        extra={"site": site.slug, "rules": ",".join(tripped), "action": action},
    )
    if action == "reject":
        raise SpamRejected()
    return CommentStatus.PENDING


def check_edit(body: str, body_html: str, rules: SpamSettings) -> None:
    """Refuse an edit whose new body trips a content rule (links, blocked words).

    Always a rejection, whatever the site's action: a public comment is not sent
    back to moderation by its author's edit. Raises SpamRejected.
    """
    if not rules.enabled:
        return
    tripped = content_rules(Candidate(body=body, body_html=body_html), rules)
    if tripped:
        log.info("comment_edit_screened", extra={"rules": ",".join(tripped)})
        raise SpamRejected()
