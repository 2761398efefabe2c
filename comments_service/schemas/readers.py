"""Readers who sign in: the signed-in reader, a new sign-in, the site's sign-in settings
(api/readers.py, api/moderation_sign_in.py, the popup pages of sign_in_pages.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from comments_service.schemas.base import OutModel, StrictModel, iso
from comments_service.services.readers import IssuedToken, Reader


class ReaderOut(StrictModel):
    id: int = Field(description="The identity's id on this site: comments written by it carry "
                    "the same id in author.identity.")
    name: str
    avatar_url: str | None
    provider: str = Field(description="The site's key of the way in used (\"github\", ...).")


class MeOut(StrictModel):
    reader: ReaderOut


class SignedInOut(StrictModel):
    token: str = Field(description="Send as Authorization: Bearer on posts, edits, deletes, "
                       "/me and /sign-out. Returned once.")
    expires_at: datetime
    reader: ReaderOut


class SignedOutOut(StrictModel):
    signed_out: bool


class SsoIn(StrictModel):
    token: str = Field(min_length=1, max_length=8192, description="The site's HS256 JWT "
                       "naming the reader: id, name, optional email and avatar, exp.")


class SignInWayOut(StrictModel):
    key: str
    kind: Literal["oidc", "github", "email", "sso"]
    label: str


class SignInConfigOut(StrictModel):
    mode: Literal["anonymous", "offered", "required"] = Field(
        description="anonymous: no sign-in; offered: readers may sign in; required: only "
        "signed-in readers post.")
    ways: list[SignInWayOut]
    edit_window_seconds: int = Field(description="How long a signed-in reader may edit or "
                                     "delete their own comments, from any device.")


def reader_dict(reader: Reader) -> dict[str, Any]:
    return {"id": reader.identity_id, "name": reader.name, "avatar_url": reader.avatar_url,
            "provider": reader.provider}


def sign_in_dict(issued: IssuedToken) -> dict[str, Any]:
    return {"token": issued.token, "expires_at": iso(issued.expires_at),
            "reader": reader_dict(issued.reader)}


# ---- moderators: a site's sign-in settings, identities (api/moderation_sign_in.py) ----


class WayIn(StrictModel):
    key: str = Field(description="The way's name on this site, in URLs and the secret's "
                     "environment variable: 1-32 of a-z 0-9 - _.")
    kind: Literal["oidc", "github", "email", "sso"]
    label: str | None = Field(None, description="What the widget's button says (default: key).")
    client_id: str | None = Field(None, description="oidc and github: the client id the "
                                  "provider issued.")
    issuer: str | None = Field(None, description="oidc: the issuer URL (discovery is at "
                               "ISSUER/.well-known/openid-configuration).")


class SignInSettingsIn(StrictModel):
    mode: Literal["anonymous", "offered", "required"] | None = None
    ways: list[WayIn] | None = Field(None, description="Replaces every way in.")
    edit_window_seconds: int | None = Field(None, description="How long signed-in readers "
                                            "may edit their own comments.")
    secrets: dict[str, str] | None = Field(None, description="By way key: a client secret or "
                                           "SSO signing key; \"\" removes it. Never sent back.")


class WayOut(StrictModel):
    key: str
    kind: Literal["oidc", "github", "email", "sso"]
    label: str
    client_id: str
    issuer: str
    secret_set: bool
    secret_source: Literal["environment", "stored"] | None
    secret_env: str = Field(description="The environment variable that would hold its secret.")


class SignInSettingsOut(StrictModel):
    mode: Literal["anonymous", "offered", "required"]
    ways: list[WayOut]
    edit_window_seconds: int | None


class IdentityBanIn(StrictModel):
    note: str | None = Field(None, max_length=500)


class IdentityOut(OutModel):
    id: int
    provider: str
    name: str
    is_banned: bool


class MyCommentOut(StrictModel):
    id: int
    article: str
    article_url: str | None
    status: str
    body_markdown: str
    created_at: datetime
    edited_at: datetime | None


class MyIdentityOut(StrictModel):
    id: int
    provider: str
    name: str
    avatar_url: str | None
    email: str | None = Field(description="The address your provider verified, if any.")


class MyDataOut(StrictModel):
    identity: MyIdentityOut
    comments: list[MyCommentOut] = Field(description="Every comment you wrote on this site "
                                         "while signed in, whatever its status.")


class ErasedOut(StrictModel):
    deleted: int
    kept_as_placeholders: int = Field(description="Comments with others' replies stay as "
                                      "empty placeholders.")
