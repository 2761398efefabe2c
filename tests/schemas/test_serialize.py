"""schemas/serialize.py: each compiled dump gives, byte for byte, what pydantic gives from
its *Out model, for comments of every kind; and the compiler refuses what it cannot copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import orjson
import pytest
from pydantic import AliasChoices, BaseModel, Field

from comments_service.schemas import (
    CommentOut,
    PassageCountsOut,
    PostedCommentOut,
    RepliesPageOut,
    SingleCommentOut,
    ThreadPageOut,
    dump_passage_counts,
    dump_posted_comment,
    dump_replies_page,
    dump_single_comment,
    dump_thread_page,
)
from comments_service.schemas.base import IsoTime, OutModel
from comments_service.schemas.serialize import _COMPILER, compile_dump
from comments_service.services.passages import Anchor, PassageCounts
from comments_service.services.thread_pages import (
    Author,
    CommentNode,
    RepliesPage,
    ThreadPage,
    ThreadSummary,
)

WHEN = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
ANCHOR = Anchor("p-1", 'a "quoted" <b>passage</b> é ⚡', "before ", "")


def node(ident: int, **fields: Any) -> CommentNode:
    values: dict[str, Any] = {
        "id": ident, "parent_id": None, "reply_to_id": None, "root_id": ident, "depth": 0,
        "path": f"{ident:08x}", "status": "visible",
        "author": Author(f"Reader {ident}", None, f"{ident:016x}"),
        "body_html": f"<p>body {ident}</p>", "score": 0, "created_at": WHEN,
        "edited_at": None,
    }
    values.update(fields)
    return CommentNode(**values)


def reply(ident: int, parent: CommentNode, **fields: Any) -> CommentNode:
    return node(ident, parent_id=parent.id, reply_to_id=parent.id, root_id=parent.root_id,
                depth=parent.depth + 1, **fields)


def comments() -> list[CommentNode]:
    """Top-level comments of every kind, with nested replies."""
    pinned = node(1, is_pinned=True, anchor=ANCHOR, upvotes=5, downvotes=2, score=3,
                  author=Author("Ann", "https://ann.example", "ab12"),
                  replies_total=3, replies_cursor="cursor-1")
    child = reply(2, pinned, edited_at=WHEN + timedelta(minutes=3))
    child.replies.append(reply(3, child, body_html="<p>deep ⚡ \u2028</p>"))
    pinned.replies.append(child)
    placeholder = node(4, status="deleted", author=None, body_html="", replies_total=1)
    placeholder.replies.append(reply(5, placeholder))
    naive = node(6, created_at=datetime(2026, 1, 2, 3, 4, 5), anchor=Anchor("p2", "q", "", ""))
    pending = node(7, status="pending", upvotes=1, score=1)
    return [pinned, placeholder, naive, pending]


def pydantic_dump(model: type[BaseModel], value: object) -> dict[str, Any]:
    return model.model_validate(value, from_attributes=True).model_dump(mode="json",
                                                                        by_alias=True)


THREAD = ThreadSummary(9, "article-key", "A title", None, True, 12, 10, 4)
PASSAGES = PassageCounts({"p-1": 3, "p2": 1}, {"p-1": ANCHOR, "p2": Anchor("p2", "q", "", "")})


def samples() -> list[tuple[type[BaseModel], Any, object]]:
    """(model, compiled dump, value) for every dump the package compiles."""
    top = comments()
    return [
        (ThreadPageOut, dump_thread_page, ThreadPage(THREAD, "top", top, "next")),
        (ThreadPageOut, dump_thread_page, ThreadPage(None, "oldest", [], None)),
        (RepliesPageOut, dump_replies_page, RepliesPage(1, top[0].replies, None)),
        (SingleCommentOut, dump_single_comment, {"comment": top[1]}),
        (SingleCommentOut, dump_single_comment, {"comment": top[3]}),
        (PostedCommentOut, dump_posted_comment, {
            "comment": top[0], "edit_token": "tok", "editable_until": WHEN}),
        (PassageCountsOut, dump_passage_counts, PASSAGES),
        (PassageCountsOut, dump_passage_counts, PassageCounts({}, {})),
    ]


@pytest.mark.parametrize(("model", "dump", "value"), samples(),
                         ids=lambda v: getattr(v, "__name__", ""))
def test_compiled_dump_is_byte_identical_to_pydantic(model, dump, value) -> None:
    """Same keys in the same order, same values: the same JSON bytes as the model's own."""
    assert orjson.dumps(dump(value)) == orjson.dumps(pydantic_dump(model, value))


def test_every_compiled_dump_of_the_package_is_compared_above() -> None:
    """A new compile_dump in schemas/ needs a sample here (tests compile their own too)."""
    compared = {model for model, _, _ in samples()}
    nested = {CommentOut}  # also reached through the others
    package = {model for model, _ in _COMPILER.names
               if model.__module__.startswith("comments_service.")}
    assert package - compared - nested == set()


def test_placeholder_and_times_come_out_as_the_public_sees_them() -> None:
    """A placeholder has no author and no body; times are ISO 8601 with Z (naive: none)."""
    page = dump_thread_page(ThreadPage(THREAD, "oldest", comments(), None))
    placeholder = page["comments"][1]
    assert (placeholder["status"], placeholder["author"], placeholder["body_html"]) == (
        "deleted", None, "")
    assert page["comments"][0]["created_at"] == "2026-03-01T12:30:05.123456Z"
    assert page["comments"][2]["created_at"] == "2026-01-02T03:04:05"
    assert page["comments"][0]["replies"][0]["edited_at"] == "2026-03-01T12:33:05.123456Z"
    assert page["thread"]["article"] == "article-key"


# ---- the compiler on models of its own ------------------------------------------------


@dataclass
class Row:
    ident: int
    name: str
    when: datetime


class Kind(Enum):
    A = "a"


def test_first_alias_the_source_has_is_read_as_pydantic_reads_it() -> None:
    """AliasChoices: the first name the source has wins, in the dump as in pydantic."""

    @dataclass
    class Both:
        label: str
        name: str

    class Out(OutModel):
        label: str = Field(validation_alias=AliasChoices("label", "name"))

    value = Both(label="from label", name="from name")
    assert compile_dump(Out, Both)(value) == pydantic_dump(Out, value) == {
        "label": "from label"}


def test_serialization_alias_names_the_key() -> None:
    class Out(OutModel):
        ident: int = Field(serialization_alias="id")

    assert compile_dump(Out, Row)(Row(3, "x", WHEN)) == {"id": 3}


class PlainTimeOut(OutModel):
    when: datetime


class KindOut(OutModel):
    kind: Kind


@dataclass
class WithKind:
    kind: Kind


class MissingOut(OutModel):
    ident: int
    missing: str


class InnerOut(OutModel):
    ident: int


class OuterOut(OutModel):
    inner: InnerOut


@dataclass
class Loose:
    inner: Any


@pytest.mark.parametrize(("model", "source", "message"), [
    # Only times with a serializer (IsoTime): pydantic's own format is not the service's.
    (PlainTimeOut, Row, r"PlainTimeOut\.when: cannot compile"),
    (KindOut, WithKind, r"KindOut\.kind: cannot compile"),
    (MissingOut, Row, r"MissingOut\.missing: the source has none of \['missing'\]"),
    # An attribute typed Any names no class to compile the nested model against.
    (OuterOut, Loose, r"OuterOut\.inner: the source's type .* names no class"),
])
def test_what_cannot_be_copied_is_refused_at_compile_time(model, source, message) -> None:
    """A TypeError naming the field when the module compiling the dump is imported,
    and again on the next try (nothing half-written is kept)."""
    for _ in range(2):
        with pytest.raises(TypeError, match=message):
            compile_dump(model, source)


def test_dict_source_and_iso_times() -> None:
    """A dict of values is read by key; an IsoTime goes out as the service writes it."""

    class Out(OutModel):
        when: IsoTime
        rows: list[int]

    dump = compile_dump(Out, {"when": datetime, "rows": list[int]})
    value = {"when": WHEN, "rows": [1, 2]}
    assert dump(value) == pydantic_dump(Out, value) == {
        "when": "2026-03-01T12:30:05.123456Z", "rows": [1, 2]}
