"""importers/xmlstream.py: hostile and broken XML is refused before anything is written."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from comments_service.importers.disqus import read_disqus
from comments_service.importers.records import CommentRecord, ImportFileError
from comments_service.importers.wordpress import read_wordpress
from comments_service.models import Comment, Thread
from tests.importers.conftest import DATA, run_import

READERS = [pytest.param(read_disqus, id="disqus"), pytest.param(read_wordpress, id="wordpress")]
HOSTILE = ["billion_laughs.xml", "external_entity.xml", "wordpress_external_entity.xml"]


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize("name", HOSTILE)
def test_entity_declarations_are_refused_and_nothing_is_written(
    read, name, app, session, site_row
):
    with (DATA / name).open("rb") as source, pytest.raises(ImportFileError, match="refused"):
        run_import(app, session, site_row, read(source))
    assert session.scalar(select(func.count()).select_from(Comment)) == 0
    assert session.scalar(select(func.count()).select_from(Thread)) == 0


@pytest.mark.parametrize("read", READERS)
def test_external_entity_never_reads_the_local_file(read):
    with (DATA / "external_entity.xml").open("rb") as source:
        records = []
        with pytest.raises(ImportFileError):
            records.extend(read(source))
    assert not any("root:" in str(record) for record in records)


def test_file_broken_after_a_good_post_writes_nothing(app, session, site_row):
    with (
        (DATA / "disqus_broken.xml").open("rb") as source,
        pytest.raises(ImportFileError, match="not well-formed XML"),
    ):
        run_import(app, session, site_row, read_disqus(source))
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_wordpress_export_is_not_taken_for_a_disqus_one():
    with (
        (DATA / "wordpress.xml").open("rb") as source,
        pytest.raises(ImportFileError, match="not a Disqus export"),
    ):
        list(read_disqus(source))
    with (
        (DATA / "disqus.xml").open("rb") as source,
        pytest.raises(ImportFileError, match="not a WordPress export"),
    ):
        list(read_wordpress(source))


class CountingReader(io.RawIOBase):
    """A file that counts how many bytes the parser has asked for so far."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._data.read(size)
        self.consumed += len(chunk)
        return chunk


def big_disqus_export(posts: int) -> bytes:
    head = (
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
        '<thread dsq:id="1"><link>https://blog.example/a/</link></thread>'
    )
    post = (
        '<post dsq:id="{n}"><message><![CDATA[<p>{text}</p>]]></message>'
        "<createdAt>2020-01-01T00:00:00Z</createdAt><author><name>n{n}</name></author>"
        '<thread dsq:id="1"/></post>'
    )
    body = "".join(post.format(n=n, text="x" * 200) for n in range(posts))
    return (head + body + "</disqus>").encode()


def test_posts_are_yielded_while_the_file_is_still_being_read():
    data = big_disqus_export(20_000)  # about 6 MB
    source = CountingReader(data)
    records = read_disqus(source)
    first_posts = [next(records) for _ in range(3)]
    assert all(isinstance(record, CommentRecord) for record in first_posts[1:])
    assert source.consumed < len(data) / 10
