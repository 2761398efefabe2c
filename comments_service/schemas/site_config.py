"""The public settings the widget adapts to (api/site_config.py)."""

from __future__ import annotations

from pydantic import Field

from comments_service.schemas.base import OutModel
from comments_service.schemas.readers import SignInConfigOut


class PassagesConfigOut(OutModel):
    enabled: bool
    max_quote_chars: int
    context_chars: int
    auto_paragraphs: bool = Field(description="Anchor to the article's paragraphs when the "
                                  "page marks no passages.")


class PublicConfigOut(OutModel):
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
    feeds: bool = Field(description="Atom feeds of new comments are served (per article: "
                        ".../thread/feed.atom?article=KEY; per site: .../feed.atom).")
    languages: list[str] = Field(description="The languages the site offers readers, its "
                                 "own first (the widget picks among them); []: every one.")
    sign_in: SignInConfigOut = Field(description="Whether readers may or must sign in, and "
                                     "the ways in (GET /auth/SITE/start?way=KEY in a popup).")
