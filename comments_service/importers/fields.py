"""Field rules for imported records: one-line fields, bodies through the one sanitizer,
article keys. loader.py applies them to every record before it is written."""

from __future__ import annotations

import re

from comments_service import sanitize
from comments_service.config import CommentSettings
from comments_service.importers.records import Body
from comments_service.services.drafts import clean_body

# As services/drafts.py: no control characters in one-line fields.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def one_line(value: str | None, limit: int) -> str | None:
    """Trimmed, control characters out, whitespace folded, cut to limit; None if empty."""
    if value is None:
        return None
    value = _SPACES.sub(" ", _ANY_CONTROL.sub(" ", value)).strip()[:limit].strip()
    return value or None


# Another system's HTML says some things with tags our allow-list lacks: bold and italic
# as <b> and <i>, which keep their meaning as <strong> and <em>; and script and style
# elements, whose content is code, not text a reader wrote (bleach would keep it as
# text). These rewrites only choose what the sanitizer is given: its output is still
# all that is stored.
_BOLD_OR_ITALIC = re.compile(r"<(/?)(b|i)(?=[\s>/])[^>]*>", re.IGNORECASE)
_CODE_ELEMENT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_STRONGER = {"b": "strong", "i": "em"}


def _with_meaning(html: str) -> str:
    html = _CODE_ELEMENT.sub("", html)
    return _BOLD_OR_ITALIC.sub(
        lambda match: f"<{match[1]}{_STRONGER[match[2].lower()]}>", html
    )


def bodies(body: Body, rules: CommentSettings) -> tuple[str, str]:
    """(body_markdown, body_html) for a source body, through the one sanitizer.

    HTML is cleaned by the allow-list (its plain text is kept as the Markdown
    source, for a moderator who edits it); Markdown is rendered as a reader's is.
    """
    # clean_body's error messages are for readers (empty, too long): not used here.
    if body.html is not None:
        html = sanitize.clean(_with_meaning(clean_body(body.html, rules, {})))
        markdown = body.markdown if body.markdown is not None else sanitize.to_text(html)
        return clean_body(markdown, rules, {}), html
    markdown = clean_body(body.markdown or "", rules, {})
    return markdown, sanitize.render(markdown)


def key_problem(key: str, rules: CommentSettings) -> str | None:
    if not key:
        return "has no article key (try another --key-from)"
    if _ANY_CONTROL.search(key):
        return "has control characters in its article key"
    if len(key) > rules.max_article_key_chars:
        return f"has an article key longer than {rules.max_article_key_chars} characters"
    return None
