"""WordPress: the WXR file of Tools > Export (RSS 2.0 with the ``wp:`` namespace).

Each ``<item>`` of ``<channel>`` is a post or page with its ``<link>``,
``<wp:post_id>`` and, inside it, its ``<wp:comment>`` elements. A comment names
its parent by ``<wp:comment_parent>`` (0: none) and its state by
``<wp:comment_approved>`` (1, 0, spam, trash, post-trashed). Its text is HTML
whose line breaks WordPress shows as paragraphs and ``<br>`` (wpautop).
The namespace's version (export/1.0, 1.1, 1.2) varies; any is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    text_of,
)
from comments_service.importers.xmlstream import iterparse_safely, split_tag
from comments_service.models import CommentStatus

WXR_NAMESPACE_PREFIX = "http://wordpress.org/export/"
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
# already in a block and only gets its line breaks.
_BLOCK_TAG = re.compile(r"(</?(?:p|li|ul|ol|blockquote)\b[^>]*>)", re.IGNORECASE)
_HOLDS_TEXT = re.compile(r"<(/?)(p|li)\b", re.IGNORECASE)
_PRE = re.compile(r"<pre\b", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _wp(element: Element, name: str) -> str | None:
    """Text of the element's child ``wp:name`` (whatever the export's version)."""
    for child in element:
        namespace, local = split_tag(child.tag)
        if local == name and namespace.startswith(WXR_NAMESPACE_PREFIX):
            return text_of(child.text)
    return None


def paragraphs(text: str) -> str:
    """WordPress's line breaks as HTML, as wpautop shows them.

    Outside block elements, blank lines part paragraphs; everywhere, a single
    newline is a <br>. Text with a <pre> is left as it is (its newlines are its
    own), and so are the block elements' own tags.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text or _PRE.search(text):
        return text
    out: list[str] = []
    inside_text_block = 0
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
    return "".join(out)


def _parse_gmt(text: str | None) -> datetime:
    if text is None:
        raise ValueError("no date")
    return datetime.strptime(text, GMT_FORMAT).replace(tzinfo=UTC)


def _comment(element: Element, thread_id: str) -> Record:
    source_id = _wp(element, "comment_id")
    if source_id is None:
        return Skipped(f"comment ? in item {thread_id}", "comment without comment_id")
    kind = _wp(element, "comment_type") or ""
    if kind not in _COMMENT_TYPES:
        return Skipped(source_id, f"a {kind}, not a reader's comment")
    approved = _wp(element, "comment_approved") or ""
    status = _STATUSES.get(approved)
    if status is None:
        return Skipped(source_id, f"unknown comment_approved {approved!r}")
    date_text = _wp(element, "comment_date_gmt")
    try:
        created_at = _parse_gmt(date_text)
    except ValueError:
        return Skipped(source_id, f"bad date {date_text!r}")
    parent = _wp(element, "comment_parent")
    return CommentRecord(
        source_id=source_id,
        import_key=f"wordpress:{source_id}",
        thread_source_id=thread_id,
        parent_source_id=parent if parent not in (None, "0") else None,
        status=status,
        created_at=created_at,
        body=Body(html=paragraphs(_wp(element, "comment_content") or "")),
        author_name=_wp(element, "comment_author"),
        author_email=_wp(element, "comment_author_email"),
        author_website=_wp(element, "comment_author_url"),
        client_address=_wp(element, "comment_author_IP"),
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


def read_wordpress(source: IO[bytes], key_from: KeyFrom = KeyFrom.URL_PATH) -> Iterator[Record]:
    """Yield each post's comments, then the post as a thread, in file order.

    Comments are yielded and dropped as they end, so memory holds one post's own
    fields at most, however many comments it has. Raises ImportFileError for a
    file that is not well-formed, declares a DTD or entities, or is not WXR.
    """
    stack: list[Element] = []
    items = 0
    item_id = ""
    item_comments = 0
    for event, element in iterparse_safely(source):
        if event == "start":
            if not stack and element.tag != "rss":
                raise ImportFileError(f"not a WordPress export: the root is {element.tag!r}")
            stack.append(element)
            if len(stack) == 3 and element.tag == "item":
                items += 1
                item_id, item_comments = f"item-{items}", 0
            continue
        stack.pop()
        depth = len(stack)  # of the parent: 0 root, 1 channel, 2 item
        if depth == 3 and stack[2].tag == "item" and split_tag(element.tag)[1] == "comment":
            record = _comment(element, item_id)
            item_comments += isinstance(record, CommentRecord)
            yield record
            stack[2].remove(element)
        elif depth == 2:
            if element.tag == "item" and item_comments:
                yield _thread(element, item_id, key_from)
            stack[1].clear()  # the channel keeps nothing it has handled
