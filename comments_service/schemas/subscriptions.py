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


class SubscriptionOut(OutModel):
    article: str
    notify: Literal["all", "replies"] = Field(description="What the address follows now.")
    message: str = Field(description="The same for confirmed and new addresses.")
