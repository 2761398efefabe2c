"""Following an article's comments by email (api/subscriptions.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel


class NewSubscription(StrictModel):
    """Follow an article's thread by email without posting."""

    article: str = Field(min_length=1, description="The article's key on this site.")
    email: str = Field(description="Gets a confirmation link first unless confirmed before.")
    notify: Literal["all"] = Field("all", description="Every new comment in the thread.")
    lang: str | None = Field(
        None, max_length=35,
        description="The reader's language (the widget's, e.g. es, pt-BR, zh-Hant): the "
        "emails this asks for are written in it. One the service does not speak is "
        "ignored (the site's default language is used).")


class SubscriptionOut(OutModel):
    article: str
    notify: Literal["all", "replies"] = Field(description="What the address follows now.")
    message: str = Field(description="The same for confirmed and new addresses.")
