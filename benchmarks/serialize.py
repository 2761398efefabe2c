"""Dumping a thread page of 200 comments: the compiled dump against pydantic's own.

    .venv/bin/python -m benchmarks.serialize [--comments 200] [--rounds 20]

In-process, no database: a page of CommentNodes as services/threads.py builds them
(top-level comments with replies; some anchored, pinned, edited, voted, placeholders),
dumped by schemas.dump_thread_page (compiled from ThreadPageOut, schemas/serialize.py)
and by ThreadPageOut.model_validate(page).model_dump(mode="json"), then serialized by
orjson as json_responses.py does. Prints the best of `rounds` runs, in us per comment
(CPU time, the steadier number on a shared machine).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from comments_service.schemas import ThreadPageOut, dump_thread_page
from comments_service.services.passages import Anchor
from comments_service.services.thread_pages import (
    Author,
    CommentNode,
    ThreadPage,
    ThreadSummary,
)

REPLIES_EACH = 4


def _node(ident: int, parent: CommentNode | None, when: datetime) -> CommentNode:
    top = parent is None
    shown = ident % 17 != 0  # every 17th a placeholder
    return CommentNode(
        id=ident, parent_id=None if top else parent.id,
        reply_to_id=None if top else parent.id, root_id=ident if top else parent.root_id,
        depth=0 if top else 1, path=f"{ident:08x}", status="visible" if shown else "deleted",
        author=Author(f"Reader {ident}", "https://reader.example" if ident % 3 else None,
                      f"{ident:016x}") if shown else None,
        body_html=f"<p>Comment number {ident}, with a little <em>text</em> as comments "
        "have.</p>" if shown else "", score=ident % 7,
        created_at=when, edited_at=when + timedelta(minutes=3) if ident % 5 == 0 else None,
        replies_total=REPLIES_EACH if top else 0, is_pinned=top and ident % 50 == 1,
        anchor=Anchor(f"p{ident % 9}", "a quoted passage", "before ", " after")
        if top and ident % 4 == 0 else None, upvotes=ident % 7, downvotes=0,
    )


def page_of(comments: int) -> ThreadPage:
    """A page of `comments` nodes: top-level ones with REPLIES_EACH replies each."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    roots: list[CommentNode] = []
    ident = 0
    while ident < comments:
        ident += 1
        root = _node(ident, None, start + timedelta(seconds=ident))
        roots.append(root)
        for _ in range(min(REPLIES_EACH, comments - ident)):
            ident += 1
            root.replies.append(_node(ident, root, start + timedelta(seconds=ident)))
    thread = ThreadSummary(1, "article", "Title", "https://news.example/a", False,
                           comments, comments, 1)
    return ThreadPage(thread, "oldest", roots, None)


def best_us(work: Callable[[], Any], rounds: int, repeat: int) -> float:
    times = []
    for _ in range(rounds):
        begun = time.process_time()
        for _ in range(repeat):
            work()
        times.append((time.process_time() - begun) / repeat)
    return min(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    page = page_of(args.comments)
    compiled = dump_thread_page(page)
    pydantic = ThreadPageOut.model_validate(page).model_dump(mode="json")
    assert compiled == pydantic, "the compiled dump differs from pydantic's"
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
    rows = {
        "compiled dump": lambda: dump_thread_page(page),
        "compiled dump + orjson": lambda: orjson.dumps(dump_thread_page(page), option=options),
        "pydantic validate + dump": lambda: ThreadPageOut.model_validate(page)
        .model_dump(mode="json"),
        "pydantic validate + dump_json": lambda: ThreadPageOut.model_validate(page)
        .model_dump_json(),
    }
    print(f"a page of {args.comments} comments, best of {args.rounds} x {args.repeat}")
    for name, work in rows.items():
        total = best_us(work, args.rounds, args.repeat)
        print(f"{name:32} {total:9.1f} us  {total / args.comments:6.2f} us/comment")


if __name__ == "__main__":
    main()
