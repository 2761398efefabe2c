"""Disqus: the XML file of Disqus Admin > Community > Export.

The file is a ``<disqus>`` element holding ``<category>``, ``<thread dsq:id>`` and
``<post dsq:id>`` elements side by side; a post names its thread and its parent by
``dsq:id``. Threads carry the page's ``<link>`` and the site's own ``<id>`` (the
``disqus_identifier``, often empty). Posts are HTML (``<message>``) with
``<isDeleted>`` and ``<isSpam>``, and in some exports ``<isApproved>``.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    parse_iso_time,
    text_of,
)
from comments_service.importers.xmlstream import iterparse_safely
from comments_service.models import CommentStatus

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def _flag(element: Element, name: str) -> bool | None:
    value = text_of(element.findtext(NS + name))
    return None if value is None else value.lower() == "true"


def _thread(element: Element, key_from: KeyFrom) -> Record:
    source_id = text_of(element.get(DSQ_ID))
    if source_id is None:
        return Skipped("thread ?", "thread without dsq:id")
    link = text_of(element.findtext(NS + "link"))
    try:
        created_at = parse_iso_time(element.findtext(NS + "createdAt"))
    except ValueError:
        created_at = None
    return ThreadRecord(
        source_id=source_id,
        article_key=article_key(key_from, url=link, identifier=element.findtext(NS + "id")),
        title=text_of(element.findtext(NS + "title")),
        url=link,
        created_at=created_at,
        is_locked=bool(_flag(element, "isClosed")),
    )


def _status(post: Element) -> CommentStatus:
    if _flag(post, "isDeleted"):
        return CommentStatus.DELETED
    if _flag(post, "isSpam"):
        return CommentStatus.HIDDEN
    if _flag(post, "isApproved") is False:
        return CommentStatus.PENDING
    return CommentStatus.VISIBLE


def _post(post: Element) -> Record:
    source_id = text_of(post.get(DSQ_ID))
    if source_id is None:
        return Skipped("post ?", "post without dsq:id")
    thread = post.find(NS + "thread")
    thread_id = text_of(thread.get(DSQ_ID)) if thread is not None else None
    if thread_id is None:
        return Skipped(source_id, "post names no thread")
    created_text = post.findtext(NS + "createdAt")
    try:
        created_at = parse_iso_time(created_text)
    except ValueError:
        return Skipped(source_id, f"bad date {created_text!r}")
    parent = post.find(NS + "parent")
    return CommentRecord(
        source_id=source_id,
        import_key=f"disqus:{source_id}",
        thread_source_id=thread_id,
        parent_source_id=text_of(parent.get(DSQ_ID)) if parent is not None else None,
        status=_status(post),
        created_at=created_at,
        body=Body(html=post.findtext(NS + "message") or ""),
        author_name=post.findtext(f"{NS}author/{NS}name"),
        author_email=post.findtext(f"{NS}author/{NS}email"),
        client_address=text_of(post.findtext(NS + "ipAddress")),
    )


def read_disqus(source: IO[bytes], key_from: KeyFrom = KeyFrom.URL_PATH) -> Iterator[Record]:
    """Yield the threads, posts and unreadable items of a Disqus export, in file order.

    Holds one thread or post in memory at a time. Raises ImportFileError for a file
    that is not well-formed, declares a DTD or entities, or is not a Disqus export.
    """
    root: Element | None = None
    depth = 0
    for event, element in iterparse_safely(source):
        if event == "start":
            if root is None:
                if element.tag != NS + "disqus":
                    raise ImportFileError(
                        f"not a Disqus export: the root element is {element.tag!r}"
                    )
                root = element
            depth += 1
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue  # a post's own <thread>, <author>...: read with the post
        if element.tag == NS + "thread":
            yield _thread(element, key_from)
        elif element.tag == NS + "post":
            yield _post(element)
        root.clear()  # drop what was handled (and categories): memory stays flat
