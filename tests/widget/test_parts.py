"""widget/parts.py: the widget's source parts, assembled in one fixed order into what is served."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from comments_service.web import minified
from comments_service.widget.parts import PARTS, SRC_DIR, assembled

SERVED = ("embed.js", "embed.css")


def test_only_the_script_and_the_stylesheet_are_assembled() -> None:
    assert sorted(PARTS) == sorted(SERVED)
    for name, parts in PARTS.items():
        assert parts, name
        assert all(part.endswith(name.rsplit(".", 1)[1]) for part in parts), name


def test_every_file_in_src_is_one_part_listed_exactly_once() -> None:
    listed = [part for parts in PARTS.values() for part in parts]
    files = (path for path in SRC_DIR.rglob("*") if path.is_file())
    on_disk = sorted(str(path.relative_to(SRC_DIR)) for path in files)
    assert len(listed) == len(set(listed)), "a part listed twice"
    assert sorted(listed) == on_disk, "a file in src/ no list names, or a listed part missing"


@pytest.mark.parametrize("name", SERVED)
def test_assembly_holds_each_part_once_in_the_listed_order(name: str) -> None:
    text = assembled.__wrapped__(name)
    at = -1
    for part in PARTS[name]:
        source = (SRC_DIR / part).read_text(encoding="utf-8")
        assert text.count(source) == 1, part
        assert text.index(source) > at, f"{part} out of order"
        at = text.index(source)


@pytest.mark.parametrize("name", SERVED)
def test_assembly_is_deterministic(name: str) -> None:
    first = assembled.__wrapped__(name)
    assert assembled.__wrapped__(name) == first
    assert assembled(name) == first


@pytest.mark.parametrize("name", SERVED)
def test_served_file_is_what_the_parts_assemble_to(client: FlaskClient, name: str) -> None:
    assert client.get(f"/{name}").data == minified(name, assembled.__wrapped__(name))


def test_feed_and_passages_only_subscribe_to_the_widget() -> None:
    """The thread, forms, panels and votes call neither the feed nor the passages; those
    two use the widget's public methods and events, not its map of comment nodes."""
    for part in ("thread.js", "votes.js", "panels.js", "forms.js"):
        source = (SRC_DIR / part).read_text(encoding="utf-8")
        assert not re.search(r"\bFeed\b|\bPassages\b|\.feed\b|\.passages\b", source), part
    for part in ("feed.js", "passages.js"):
        source = (SRC_DIR / part).read_text(encoding="utf-8")
        assert ".nodes" not in source, part
        assert re.search(r"static follow\(widget\)", source), part
    boot = (SRC_DIR / "boot.js").read_text(encoding="utf-8")
    assert "Feed.follow(widget)" in boot
    assert "Passages.follow(widget)" in boot
