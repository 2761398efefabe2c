"""Field rules for imported records: one-line fields, bodies through the one sanitizer,
article keys. loader.py applies them to every record before it is written."""

from __future__ import annotations

import re

from comments_service import sanitize
from comments_service.config import CommentSettings
from comments_service.importers.records import Body
from comments_service.services.drafts import clean_body

# As services/drafts.py: no control characters in one-line fields.
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def one_line(value: str | None, limit: int) -> str | None:
    """Trimmed, control characters out, whitespace folded, cut to limit; None if empty."""
    if value is None:
        return None
    value = _SPACES.sub(" ", ANY_CONTROL.sub(" ", value)).strip()[:limit].strip()
    return value or None


def bodies(body: Body, rules: CommentSettings) -> tuple[str, str]:
    """(body_markdown, body_html) for a source body, through the one sanitizer.

    HTML is cleaned by the allow-list (its plain text is kept as the Markdown
    source, for a moderator who edits it); Markdown is rendered as a reader's is.
    """
    # clean_body's error messages are for readers (empty, too long): not used here.
    if body.html is not None:
        html = sanitize.clean_imported(clean_body(body.html, rules, {}))
        markdown = body.markdown if body.markdown is not None else sanitize.to_text(html)
        return clean_body(markdown, rules, {}), html
    markdown = clean_body(body.markdown or "", rules, {})
    if body.markdown_has_html:
        return markdown, sanitize.render_imported(markdown)
    return markdown, sanitize.render(markdown)


def key_problem(key: str, rules: CommentSettings) -> str | None:
    if not key:
        return "has no article key (try another --key-from)"
    if ANY_CONTROL.search(key):
        return "has control characters in its article key"
    if len(key) > rules.max_article_key_chars:
        return f"has an article key longer than {rules.max_article_key_chars} characters"
    return None
