"""Reading an XML export as a stream of events, refusing what a hostile file could use.

defusedxml refuses any DTD (and so every entity declaration, the "billion laughs"
and external entities such as ``file:///etc/passwd``) and any external reference
before expat acts on it. The caller gets start/end events, handles each element at
its end, and must clear what it handled so memory stays flat on a large file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from comments_service.importers.records import ImportFileError


def iterparse_safely(source: IO[bytes]) -> Iterator[tuple[str, Element]]:
    """("start"|"end", element) events of ``source``.

    Raises ImportFileError when the file is not well-formed XML or declares a DTD,
    an entity or an external reference.
    """
    try:
        yield from iterparse(
            source,
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
    except DefusedXmlException as exc:
        raise ImportFileError(
            f"refused: the file declares a DTD or entities, which an export never needs ({exc})"
        ) from exc
    except ParseError as exc:
        raise ImportFileError(f"not well-formed XML: {exc}") from exc


def split_tag(tag: str) -> tuple[str, str]:
    """("namespace", "local name") of an ElementTree tag."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag
