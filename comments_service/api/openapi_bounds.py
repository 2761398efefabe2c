"""The limits of the OpenAPI document that come from settings, not from the models.

Lengths a site owner tunes (config/default.toml) are checked by the services, so
the pydantic models cannot carry them; the document is built per app, and this
lays each configured bound onto the field it limits. Without them a client (or a
fuzzer) reading the document would take a 20,000-character body for valid.
"""

from __future__ import annotations

from typing import Any

from comments_service.config import Settings

# At least one character that is not white space.
NOT_BLANK = r"\S"
PASSAGE_KEY = r"^[A-Za-z0-9_.:-]+$"


def _bounds(settings: Settings) -> dict[tuple[str, str], dict[str, Any]]:
    comments, passages, moderation = settings.comments, settings.passages, settings.moderation
    note = {"maxLength": moderation.max_note_chars}
    email = {"maxLength": comments.max_email_chars, "format": "email"}
    return {
        ("NewComment", "article"): {"maxLength": comments.max_article_key_chars},
        ("NewComment", "title"): {"maxLength": comments.max_title_chars},
        ("NewComment", "url"): {"maxLength": comments.max_url_chars},
        ("NewComment", "author_name"): {"maxLength": comments.max_name_chars},
        ("NewComment", "author_email"): {"maxLength": comments.max_email_chars},
        ("NewComment", "author_website"): {"maxLength": comments.max_website_chars},
        ("NewComment", "body"): {"maxLength": comments.max_body_chars, "pattern": NOT_BLANK},
        ("CommentEdit", "body"): {"maxLength": comments.max_body_chars, "pattern": NOT_BLANK},
        ("AnchorIn", "passage_key"): {"maxLength": passages.max_key_chars, "minLength": 1,
                                      "pattern": PASSAGE_KEY},
        ("AnchorIn", "quote"): {"maxLength": passages.max_quote_chars, "pattern": NOT_BLANK},
        ("AnchorIn", "prefix"): {"maxLength": passages.context_chars},
        ("AnchorIn", "suffix"): {"maxLength": passages.context_chars},
        ("NewSubscription", "article"): {"maxLength": comments.max_article_key_chars},
        ("NewSubscription", "email"): email,
        ("NewReaderDataRequest", "email"): email,
        ("NewFlag", "text"): {"maxLength": moderation.max_flag_text_chars},
        ("BulkActionIn", "comment_ids"): {"maxItems": moderation.max_bulk},
        ("BulkActionIn", "note"): note,
        ("ActionIn", "note"): note,
        ("BanIn", "note"): note,
        ("SiteModerationIn", "note"): note,
    }


def _narrow(schema: dict[str, Any], bound: dict[str, Any]) -> None:
    """Lay `bound` on the schema, or on its non-null branch of an anyOf."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") != "null":
            branch.update(bound)


def apply_settings_bounds(schemas: dict[str, Any], settings: Settings) -> None:
    """Write the configured limits into the component schemas (in place)."""
    for (model, name), bound in _bounds(settings).items():
        field = schemas.get(model, {}).get("properties", {}).get(name)
        if field is None:
            raise LookupError(f"{model}.{name}: no such field to bound in the document")
        _narrow(field, bound)
