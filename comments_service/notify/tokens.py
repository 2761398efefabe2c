"""Signed links in emails: confirm an address, change or stop a subscription.

itsdangerous with the app's SECRET_KEY and one salt per purpose, so a token made
for one action is refused by the other. Confirmation links expire
(notifications.confirmation_max_age_seconds); unsubscribe links do not, as
RFC 8058 one-click unsubscribe must keep working for old emails. A token carries
only ids and the keyed address hash, never the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_SALT = "comments_service.notify.confirm"
MANAGE_SALT = "comments_service.notify.manage"
_HASH = re.compile(r"^[0-9a-f]{64}$")


class InvalidToken(ValueError):
    """The token was not made by this service for this purpose, was altered, or expired."""

    def __init__(self, *, expired: bool = False) -> None:
        self.is_expired = expired
        super().__init__("expired link" if expired else "invalid link")


@dataclass(frozen=True)
class LinkClaim:
    """What a valid token vouches for: this address (by hash), about this thread."""

    address_hash: str
    thread_id: int


def _claim(data: object) -> LinkClaim:
    if not isinstance(data, dict):
        raise InvalidToken()
    hashed, thread_id = data.get("a"), data.get("t")
    if not isinstance(hashed, str) or not _HASH.match(hashed):
        raise InvalidToken()
    if not isinstance(thread_id, int) or isinstance(thread_id, bool) or thread_id < 1:
        raise InvalidToken()
    return LinkClaim(hashed, thread_id)


def confirm_token(secret: str, claim: LinkClaim) -> str:
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps(
        {"a": claim.address_hash, "t": claim.thread_id}
    )


def _loads_timed(secret: str, salt: str, token: str, max_age_seconds: int) -> object:
    """A timed token's payload. Raises InvalidToken (is_expired when too old)."""
    try:
        return URLSafeTimedSerializer(secret, salt=salt).loads(token, max_age=max_age_seconds)
    except BadData as exc:
        raise InvalidToken(expired=isinstance(exc, SignatureExpired)) from None


def read_confirm_token(secret: str, token: str, max_age_seconds: int) -> LinkClaim:
    """The claim of a confirmation token. Raises InvalidToken (is_expired when too old)."""
    return _claim(_loads_timed(secret, CONFIRM_SALT, token, max_age_seconds))


def manage_token(secret: str, claim: LinkClaim) -> str:
    return URLSafeSerializer(secret, salt=MANAGE_SALT).dumps(
        {"a": claim.address_hash, "t": claim.thread_id}
    )


def read_manage_token(secret: str, token: str) -> LinkClaim:
    """The claim of an unsubscribe / manage token. Raises InvalidToken."""
    try:
        return _claim(URLSafeSerializer(secret, salt=MANAGE_SALT).loads(token))
    except BadData:
        raise InvalidToken() from None


# Where the links point (routes of notify/pages.py, under the public base URL).
CONFIRM_PATH = "/notify/confirm/"
UNSUBSCRIBE_PATH = "/notify/unsubscribe/"


def in_language(url: str, lang: str | None) -> str:
    """The link with its mail's language in the query (``?lang=es``), which the page it
    opens is shown in (translation.py); outside the signed token, so an old link without
    it still works, in the browser's language."""
    return f"{url}?lang={lang}" if lang else url


def confirm_url(base_url: str, secret: str, claim: LinkClaim, lang: str | None = None) -> str:
    return in_language(f"{base_url.rstrip('/')}{CONFIRM_PATH}{confirm_token(secret, claim)}",
                       lang)


def unsubscribe_url(
    base_url: str, secret: str, claim: LinkClaim, lang: str | None = None
) -> str:
    return in_language(f"{base_url.rstrip('/')}{UNSUBSCRIBE_PATH}{manage_token(secret, claim)}",
                       lang)


# ---- a reader's link to their own comments (services/reader_data.py) ----------------

READER_DATA_SALT = "comments_service.reader_data"
READER_DATA_PATH = "/my-data/"
_NONCE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ReaderDataClaim:
    """What a valid reader-data token vouches for: this request row, with this nonce."""

    request_id: int
    nonce: str


def reader_data_token(secret: str, claim: ReaderDataClaim) -> str:
    return URLSafeTimedSerializer(secret, salt=READER_DATA_SALT).dumps(
        {"r": claim.request_id, "n": claim.nonce}
    )


def read_reader_data_token(secret: str, token: str, max_age_seconds: int) -> ReaderDataClaim:
    """The claim of a reader-data token. Raises InvalidToken (is_expired when too old)."""
    data = _loads_timed(secret, READER_DATA_SALT, token, max_age_seconds)
    if not isinstance(data, dict):
        raise InvalidToken()
    request_id, nonce = data.get("r"), data.get("n")
    if not isinstance(request_id, int) or isinstance(request_id, bool) or request_id < 1:
        raise InvalidToken()
    if not isinstance(nonce, str) or not _NONCE.match(nonce):
        raise InvalidToken()
    return ReaderDataClaim(request_id, nonce)


def reader_data_url(
    base_url: str, secret: str, claim: ReaderDataClaim, lang: str | None = None
) -> str:
    return in_language(
        f"{base_url.rstrip('/')}{READER_DATA_PATH}{reader_data_token(secret, claim)}", lang)


# ---- a moderator notice's approve / hide links (notify/moderation_pages.py) ----------

MODERATION_SALT = "comments_service.notify.moderate"
MODERATION_PATH = "/notify/moderate/"
MODERATION_ACTIONS = ("approve", "hide")


@dataclass(frozen=True)
class ModerationClaim:
    """What a valid moderation link vouches for: this action on this comment, sent in
    this outbox row's notice; the nonce makes each link single-use."""

    comment_id: int
    action: str
    outbox_id: int
    nonce: str


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def moderation_token(secret: str, claim: ModerationClaim) -> str:
    return URLSafeTimedSerializer(secret, salt=MODERATION_SALT).dumps(
        {"c": claim.comment_id, "a": claim.action, "o": claim.outbox_id, "n": claim.nonce}
    )


def read_moderation_token(secret: str, token: str, max_age_seconds: int) -> ModerationClaim:
    """The claim of a moderation link. Raises InvalidToken (is_expired when too old)."""
    data = _loads_timed(secret, MODERATION_SALT, token, max_age_seconds)
    if not isinstance(data, dict):
        raise InvalidToken()
    comment_id, action, outbox_id, nonce = data.get("c"), data.get("a"), data.get("o"), \
        data.get("n")
    if not _positive_int(comment_id) or not _positive_int(outbox_id):
        raise InvalidToken()
    if action not in MODERATION_ACTIONS or not isinstance(nonce, str) \
            or not _NONCE.match(nonce):
        raise InvalidToken()
    return ModerationClaim(comment_id, action, outbox_id, nonce)  # type: ignore[arg-type]


def moderation_url(
    base_url: str, secret: str, claim: ModerationClaim, lang: str | None = None
) -> str:
    return in_language(
        f"{base_url.rstrip('/')}{MODERATION_PATH}{moderation_token(secret, claim)}", lang)


# ---- an emailed sign-in link (readers who sign in, services/email_sign_in.py) ---------

SIGN_IN_SALT = "comments_service.sign_in.email"


@dataclass(frozen=True)
class SignInClaim:
    """What a valid sign-in link vouches for: this address (it received the mail), on this
    site's way in, for a popup opened by this origin; the nonce makes it single-use."""

    site: str
    way: str
    email: str
    name: str
    origin: str
    nonce: str


def sign_in_token(secret: str, claim: SignInClaim) -> str:
    return URLSafeTimedSerializer(secret, salt=SIGN_IN_SALT).dumps(
        {"s": claim.site, "w": claim.way, "e": claim.email, "m": claim.name,
         "o": claim.origin, "n": claim.nonce})


def read_sign_in_token(secret: str, token: str, max_age_seconds: int) -> SignInClaim:
    """The claim of a sign-in link. Raises InvalidToken (is_expired when too old)."""
    data = _loads_timed(secret, SIGN_IN_SALT, token, max_age_seconds)
    if not isinstance(data, dict):
        raise InvalidToken()
    values = [data.get(key) for key in ("s", "w", "e", "m", "o", "n")]
    if not all(isinstance(value, str) for value in values) or not _NONCE.match(values[5]):
        raise InvalidToken()
    return SignInClaim(*values)


def sign_in_url(base_url: str, secret: str, claim: SignInClaim, lang: str | None = None) -> str:
    return in_language(
        f"{base_url.rstrip('/')}/auth/{claim.site}/email/{sign_in_token(secret, claim)}", lang)
