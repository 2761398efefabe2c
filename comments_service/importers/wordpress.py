"""WordPress and WordPress.com: the WXR file of Tools > Export (RSS 2.0 with ``wp:``).

Each ``<item>`` of ``<channel>`` is a post or page with its ``<link>``,
``<wp:post_id>``, ``<wp:status>``, ``<wp:post_password>`` and, after those, its
``<wp:comment>`` elements. A comment names its parent by ``<wp:comment_parent>``
(0: none) and its state by ``<wp:comment_approved>`` (1, 0, spam, trash,
post-trashed). Its text is HTML whose line breaks WordPress shows as paragraphs and
``<br>`` (wpautop); its author's name, email and URL are stored HTML-escaped.
The namespace's version (export/1.0, 1.1, 1.2) varies, and WordPress.com and
recent WordPress write it with https: every one of them is accepted, as
WordPress's own importer does. The site's URL (``<wp:base_blog_url>``, else the
channel's ``<link>``) is the source in every import key, so two blogs imported
into one site never take each other's comments for their own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from xml.etree.ElementTree import Element

from comments_service.importers.records import (
    Body,
    CommentRecord,
    ImportFileError,
    KeyFrom,
    Record,
    Skipped,
    ThreadRecord,
    article_key,
    decoded_once,
    import_key,
    source_name,
    text_of,
)
from comments_service.importers.xmlstream import iterparse_safely, split_tag
from comments_service.models import CommentStatus

# export/1.0/, 1.1/, 1.2/ (and the excerpt/ namespace under them), http or https.
_WXR_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/$")
GMT_FORMAT = "%Y-%m-%d %H:%M:%S"

_STATUSES = {
    "1": CommentStatus.VISIBLE,
    "approve": CommentStatus.VISIBLE,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.HIDDEN,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}
# comment_type values that are readers' comments; pingbacks and trackbacks are not.
_COMMENT_TYPES = {"", "comment"}
# Block elements wpautop does not wrap in a paragraph; text inside <p> and <li> is
# already in a block and only gets its line breaks. A <pre> element is kept whole:
# its newlines are its own (wpautop protects exactly what is inside <pre>).
_BLOCK_TAG = re.compile(r"(</?(?:p|li|ul|ol|blockquote)\b[^>]*>)", re.IGNORECASE)
_HOLDS_TEXT = re.compile(r"<(/?)(p|li)\b", re.IGNORECASE)
_PRE_ELEMENT = re.compile(r"(<pre\b.*?(?:</pre\s*>|$))", re.IGNORECASE | re.DOTALL)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# Post states whose comments no visitor could read: held for moderators unless the
# owner passes --publish-protected.
_NOT_PUBLIC = {
    "private": "a private post",
    "draft": "a draft post",
    "pending": "a draft post",
    "future": "a scheduled, unpublished post",
    "auto-draft": "a draft post",
}


@functools.lru_cache(maxsize=256)  # bounded: a hostile file may use any tag
def _wxr_name(tag: str) -> str | None:
    namespace, local = split_tag(tag)
    return local if _WXR_NAMESPACE.match(namespace) else None


def _wxr(element: Element) -> str | None:
    """The local name of a ``wp:`` element (any export version), else None.

    Cached by tag: an export has a few dozen distinct tags and millions of elements.
    """
    return _wxr_name(element.tag)


def _wp(element: Element, name: str) -> str | None:
    """Text of the element's child ``wp:name`` (whatever the export's version)."""
    for child in element:
        if _wxr(child) == name:
            return text_of(child.text)
    return None


def _wp_children(element: Element) -> dict[str | None, str | None]:
    """Raw text of each ``wp:`` child, the first of a name as ``_wp`` takes it: one pass
    over a comment's children instead of one per field read."""
    texts: dict[str | None, str | None] = {}
    for child in element:
        texts.setdefault(_wxr(child), child.text)
    return texts


def _outside_pre(text: str, inside_text_block: int, out: list[str]) -> int:
    for index, part in enumerate(_BLOCK_TAG.split(text)):
        if index % 2:  # a block tag
            out.append(part)
            holds = _HOLDS_TEXT.match(part)
            if holds:
                inside_text_block += -1 if holds[1] else 1
        elif inside_text_block > 0:
            out.append(part.strip("\n").replace("\n", "<br>"))
        else:
            for block in _BLANK_LINE.split(part):
                if block.strip():
                    out.append(f"<p>{block.strip().replace(chr(10), '<br>')}</p>")
    return inside_text_block


def paragraphs(text: str) -> str:
    """WordPress's line breaks as HTML, as wpautop shows them.

    Outside block elements, blank lines part paragraphs; everywhere but inside
    ``<pre>``, a single newline is a <br>. A ``<pre>`` element is kept as it is,
    and so are the block elements' own tags.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    out: list[str] = []
    inside_text_block = 0
    for index, part in enumerate(_PRE_ELEMENT.split(text)):
        if index % 2:
            out.append(part)
        else:
            inside_text_block = _outside_pre(part, inside_text_block, out)
    return "".join(out)


# The form WordPress writes: fromisoformat reads it as strptime(GMT_FORMAT) does, at a
# tenth of the cost. Other text (one-digit fields, say) still goes to strptime.
_GMT_AS_WRITTEN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)


def _parse_gmt(text: str | None) -> datetime:
    if text is None:
        raise ValueError("no date")
    if _GMT_AS_WRITTEN.fullmatch(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return datetime.strptime(text, GMT_FORMAT).replace(tzinfo=UTC)


@functools.lru_cache(maxsize=4)  # one export names one site: read once, not per comment
def _source_name(url: str | None) -> str | None:
    return source_name(url)


@dataclass
class _Post:
    """What a comment needs of the post it is on, read before its comments."""

    thread_id: str
    label: str  # "post 12 “Hello”", for the report
    held_because: str | None


def _post(item: Element, number: int, publish_protected: bool) -> _Post:
    post_id = _wp(item, "post_id")
    title = text_of(item.findtext("title"))
    label = f"post {post_id or '#' + str(number)}" + (f" “{title}”" if title else "")
    held = None
    if not publish_protected:
        if _wp(item, "post_password"):
            held = "a password-protected post"
        else:
            held = _NOT_PUBLIC.get(_wp(item, "status") or "")
    return _Post(post_id or f"item-{number}", label, held)


def _comment(element: Element, post: _Post, source: str | None) -> Record:
    texts = _wp_children(element)
    source_id = text_of(texts.get("comment_id"))
    where = f"on {post.label}"
    if source_id is None:
        return Skipped("comment ?", "comment without comment_id", where)
    kind = text_of(texts.get("comment_type")) or ""
    if kind not in _COMMENT_TYPES:
        return Skipped(source_id, f"a {kind}, not a reader's comment", where)
    approved = text_of(texts.get("comment_approved")) or ""
    status = _STATUSES.get(approved)
    if status is None:
        return Skipped(source_id, f"unknown comment_approved {approved!r}", where)
    date_text = text_of(texts.get("comment_date_gmt"))
    try:
        created_at = _parse_gmt(date_text)
    except ValueError:
        return Skipped(source_id, f"bad date {date_text!r}", where)
    held_because = None
    if status is CommentStatus.VISIBLE and post.held_because:
        status, held_because = CommentStatus.PENDING, post.held_because
    parent = text_of(texts.get("comment_parent"))
    return CommentRecord(
        source_id=source_id,
        import_key=import_key("wordpress", source, source_id),
        thread_source_id=post.thread_id,
        parent_source_id=parent if parent not in (None, "0") else None,
        status=status,
        created_at=created_at,
        body=Body(html=paragraphs(text_of(texts.get("comment_content")) or "")),
        author_name=decoded_once(text_of(texts.get("comment_author"))),
        author_email=decoded_once(text_of(texts.get("comment_author_email"))),
        author_website=decoded_once(text_of(texts.get("comment_author_url"))),
        client_address=text_of(texts.get("comment_author_IP")),
        held_because=held_because,
    )


def _thread(item: Element, source_id: str, key_from: KeyFrom) -> ThreadRecord:
    link = text_of(item.findtext("link"))
    try:
        created_at: datetime | None = _parse_gmt(_wp(item, "post_date_gmt"))
    except ValueError:
        created_at = None
    return ThreadRecord(
        source_id=source_id,
        article_key=article_key(key_from, url=link, identifier=_wp(item, "post_id")),
        title=text_of(item.findtext("title")),
        url=link,
        created_at=created_at,
        is_locked=_wp(item, "comment_status") == "closed",
    )


class _Reading:
    """What the stream has shown so far: the site's URL, and whether it is WXR at all."""

    def __init__(self, source: str | None) -> None:
        self.given_source = source_name(source)
        self.site_url: str | None = None
        self.blog_url: str | None = None
        self.saw_wxr = False
        self.namespaces: set[str] = set()

    @property
    def source(self) -> str | None:
        return self.given_source or _source_name(self.blog_url or self.site_url)

    def channel_child(self, element: Element) -> None:
        if element.tag == "link":
            self.site_url = text_of(element.text)
        elif _wxr(element) == "base_blog_url":
            self.blog_url = text_of(element.text)

    def check(self) -> None:
        if self.saw_wxr:
            return
        found = ", ".join(sorted(self.namespaces)) or "none"
        raise ImportFileError(
            "not a WordPress export: no element in the WXR namespace "
            "(http or https://wordpress.org/export/1.0/, 1.1/ or 1.2/); namespaces "
            f"found: {found}"
        )


def read_wordpress(
    source: IO[bytes],
    key_from: KeyFrom = KeyFrom.URL_PATH,
    *,
    source_label: str | None = None,
    publish_protected: bool = False,
) -> Iterator[Record]:
    """Yield each post's comments, then the post as a thread, in file order.

    ``source_label`` (``--source``) replaces the site URL in the import keys.
    Comments approved on a password-protected, private or draft post arrive
    pending, unless ``publish_protected``. Comments are yielded and dropped as they
    end, so memory holds one post's own fields at most, however many comments it
    has. Raises ImportFileError for a file that is not well-formed, declares a DTD
    or entities, or is not WXR (no element in any WXR namespace).
    """
    reading = _Reading(source_label)
    stack: list[Element] = []
    items = 0
    post: _Post | None = None
    item_comments = 0
    for event, element in iterparse_safely(source):
        if event == "start":
            if not stack and element.tag != "rss":
                raise ImportFileError(f"not a WordPress export: the root is {element.tag!r}")
            stack.append(element)
            namespace = split_tag(element.tag)[0]
            if namespace:
                reading.namespaces.add(namespace)
                reading.saw_wxr = reading.saw_wxr or bool(_WXR_NAMESPACE.match(namespace))
            if len(stack) == 3 and element.tag == "item":
                items += 1
                post, item_comments = None, 0
            continue
        stack.pop()
        depth = len(stack)  # of the parent: 0 root, 1 channel, 2 item
        if depth == 3 and stack[2].tag == "item" and _wxr(element) == "comment":
            if post is None:  # the post's own fields are all read by its first comment
                post = _post(stack[2], items, publish_protected)
            record = _comment(element, post, reading.source)
            item_comments += isinstance(record, CommentRecord)
            yield record
            stack[2].remove(element)
        elif depth == 2:
            if element.tag == "item" and item_comments:
                post = post or _post(element, items, publish_protected)
                yield _thread(element, post.thread_id, key_from)
            reading.channel_child(element)
            stack[1].clear()  # the channel keeps nothing it has handled
    reading.check()
