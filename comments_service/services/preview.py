"""A comment's body rendered as it would be stored, without storing anything.

The widget's "Preview" shows what a post or an edit would keep: the same cleaning
and the same length and blank checks as posting (``drafts.clean_body``), then the
one sanitizer (``sanitize.render``), so the preview cannot differ from the stored
``body_html``.
"""

from __future__ import annotations

from comments_service import sanitize
from comments_service.config import CommentSettings
from comments_service.errors import ValidationFailed
from comments_service.services.drafts import clean_body


def render_preview(body: str, rules: CommentSettings) -> str:
    """The sanitized HTML a post or edit of ``body`` would store.

    Raises ValidationFailed (field "body") for a blank or too long body, with the
    messages a post would give.
    """
    fields: dict[str, str] = {}
    clean = clean_body(body, rules, fields)
    if fields:
        raise ValidationFailed(fields=fields)
    return sanitize.render(clean)
