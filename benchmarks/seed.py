"""Benchmark data: the same sites, threads and comments for comments_service and for Isso.

One generator makes every row once, deterministically, and hands it to each sink:

* ``OurSqliteSink``: our migrated SQLite schema, written with sqlite3 ``executemany``;
* ``OurSqlAlchemySink``: our migrated schema on any SQLAlchemy URL (PostgreSQL), written
  with Core ``insert`` executemany;
* ``IssoSink``: Isso's own SQLite schema (created by Isso itself, in its virtualenv),
  written with sqlite3 ``executemany``. Isso has no sites: each of our two sites gets its
  own Isso database, which is how Isso serves several sites.

Two sites: ``bench`` holds the threads that are read and posted to (10, 1,000 and
100,000 comments, the widget's 200-comment thread, and a small thread that takes the
posts); ``bench-counts`` holds 10,000 articles with about 1,000,000 comments for the
counts endpoint.

Counters are set the way services/posting.py keeps them: thread total/visible counts,
a comment's ``child_count`` (direct children) and, on top-level comments,
``reply_count`` (visible descendants); ``root_id`` and ``path`` follow the depth cap,
a reply to a comment at the cap attaching beside it (``reply_to_id`` remembers whom it
answered). Isso nests one level only; its own ``Comments.add`` moves a reply to the
top-level ancestor, so Isso's rows get ``parent = root_id``.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import random
import resource
import sqlite3
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import create_engine, insert, text
from sqlalchemy.dialects import sqlite as sqlite_dialect

from comments_service import sanitize
from comments_service.models import Comment, Site, Thread, path_segment

THREADS_SITE = "bench"
COUNTS_SITE = "bench-counts"
POSTING_ARTICLE = "posting"
WIDGET_ARTICLE = "widget-200"
# Every body of the widget's thread carries this word, so a browser test can tell
# when the first comment is on screen, whichever widget draws it.
WIDGET_MARKER = "benchcomment"
ISSO_VOTERS = bytes(256)  # an empty 2048-bit Bloom filter: nobody has voted
ISSO_REMOTE_ADDR = "127.0.0.0"  # Isso stores the anonymized /24
BASE_TIME = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
CHUNK = 20_000


def thread_article(size: int) -> str:
    return f"thread-{size}"


def count_article(index: int) -> str:
    return f"article-{index:05d}"


@dataclass(frozen=True)
class DataSpec:
    """How much to seed. The default is what `make bench` measures."""

    thread_sizes: tuple[int, ...] = (10, 1_000, 100_000)
    widget_comments: int = 200
    posting_comments: int = 10
    count_articles: int = 10_000
    count_comments: int = 1_000_000
    max_depth: int = 4
    body_pool: int = 600
    seed: int = 12


TINY = DataSpec(
    thread_sizes=(10, 60),
    widget_comments=12,
    posting_comments=3,
    count_articles=20,
    count_comments=150,
    body_pool=30,
)


# ---- rows ---------------------------------------------------------------------


@dataclass
class SeedComment:
    id: int
    thread_id: int
    parent_id: int | None
    reply_to_id: int | None
    root_id: int
    depth: int
    path: str
    author_name: str
    author_email: str | None
    author_website: str | None
    avatar_seed: str
    body_markdown: str
    body_html: str
    created_at: datetime
    child_count: int = 0
    reply_count: int = 0


@dataclass
class SeedThread:
    id: int
    site_id: int
    article_key: str
    title: str
    url: str
    created_at: datetime
    comments: list[SeedComment] = field(default_factory=list)

    @property
    def last_comment_at(self) -> datetime | None:
        return self.comments[-1].created_at if self.comments else None


@dataclass(frozen=True)
class SeedSite:
    id: int
    slug: str
    name: str


SITES = (
    SeedSite(1, THREADS_SITE, "Benchmark threads"),
    SeedSite(2, COUNTS_SITE, "Benchmark counts"),
)


# ---- bodies -------------------------------------------------------------------

_PROSE = (
    "the council said bridge repairs were finished early but the budget doubled and nobody "
    "explained why the second estimate was wrong I cycle across every morning and the new "
    "surface is much better though the lights at the north end still take forever buses "
    "return on Monday which matters more than anything else in this story honestly my "
    "street lost its stop for two years so forgive me if I am not grateful yet the report "
    "from 2019 already named the hangers and the cracks were visible from the quay"
)
_WORDS = _PROSE.split()
_NAMES = (
    "Mara Lindqvist", "Idris Okafor", "Ann", "Bob", "Chen Wei", "Dana K.", "Eero", "Fatima",
    "Giulia Russo", "Hannah Berg", "Ivo", "Jonas", "Kemi Adeyemi", "Lars", "Mei", "Nadia",
    "Olu", "Priya Nair", "Quentin", "Rosa", "Sven", "Tomás", "Uma", "Viktor", "Wen",
)
_SITES_LINKED = ("https://example.org", "https://news.example", "https://city.example/transport")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 22))]
    sentence = " ".join(words)
    return sentence[0].upper() + sentence[1:] + rng.choice((".", ".", ".", "?", "!"))


def _markdown_body(rng: random.Random) -> str:
    """A reader's comment: a few sentences, some Markdown, sometimes links, quotes or lists."""
    paragraphs = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        sentences = [_sentence(rng) for _ in range(rng.randint(1, 3))]
        roll = rng.random()
        if roll < 0.15:
            sentences[0] = f"*{sentences[0]}*"
        elif roll < 0.25:
            sentences[-1] = f"**{sentences[-1]}**"
        elif roll < 0.35:
            link = f"{rng.choice(_SITES_LINKED)}/{rng.choice(_WORDS)}-{rng.randint(1, 999)}"
            sentences.append(f"See [the report]({link}).")
        elif roll < 0.42:
            sentences.append(f"Source: {rng.choice(_SITES_LINKED)}/{rng.randint(100, 999)}")
        elif roll < 0.48:
            sentences.append("`route 11`")
        paragraphs.append(" ".join(sentences))
    if rng.random() < 0.12:
        paragraphs.insert(0, "> " + _sentence(rng))
    if rng.random() < 0.08:
        paragraphs.append("\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(2, 4))))
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class Body:
    markdown: str
    html: str


def body_pool(rng: random.Random, size: int) -> list[Body]:
    """Distinct bodies, each rendered once by the service's own sanitizer."""
    bodies = []
    for _ in range(size):
        markdown = _markdown_body(rng)
        bodies.append(Body(markdown, sanitize.render(markdown)))
    return bodies


# ---- the tree -----------------------------------------------------------------


def build_comments(
    rng: random.Random,
    thread_id: int,
    first_id: int,
    count: int,
    start: datetime,
    step: timedelta,
    pool: Sequence[Body],
    max_depth: int,
    marker: str | None = None,
) -> list[SeedComment]:
    """`count` comments, a third of them replies, with posting.py's counters and paths.

    Replies answer a recent comment more often than an old one, as in a live discussion.
    """
    comments: list[SeedComment] = []
    by_id: dict[int, SeedComment] = {}
    for index in range(count):
        ident = first_id + index
        name = rng.choice(_NAMES)
        body = pool[rng.randrange(len(pool))]
        markdown, html = body.markdown, body.html
        if marker is not None:
            markdown = f"{markdown}\n\n{marker}{index}"
            html = sanitize.render(markdown)
        parent_id = reply_to_id = None
        depth = 0
        path = path_segment(ident)
        root_id = ident
        if comments and index % 3 == 2:
            if rng.random() < 0.7:
                back = min(len(comments) - 1, int(rng.expovariate(1 / 25)))
                target = comments[len(comments) - 1 - back]
            else:
                target = comments[rng.randrange(len(comments))]
            segments = target.path.split(".")
            keep = min(len(segments), max_depth)
            parent_id = int(segments[keep - 1])
            reply_to_id = target.id
            depth = keep
            path = ".".join([*segments[:keep], path_segment(ident)])
            root_id = int(segments[0])
            by_id[parent_id].child_count += 1
            by_id[root_id].reply_count += 1
        comment = SeedComment(
            id=ident,
            thread_id=thread_id,
            parent_id=parent_id,
            reply_to_id=reply_to_id,
            root_id=root_id,
            depth=depth,
            path=path,
            author_name=name,
            author_email=f"reader{ident % 997}@example.org" if rng.random() < 0.5 else None,
            author_website=f"https://{name.split()[0].lower()}.example" if rng.random() < 0.2
            else None,
            avatar_seed=hashlib.sha256(name.encode()).hexdigest()[:16],
            body_markdown=markdown,
            body_html=html,
            created_at=start + step * index,
        )
        comments.append(comment)
        by_id[ident] = comment
    return comments


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` spread unevenly over `parts` (a few busy articles, many quiet ones)."""
    weights = [rng.paretovariate(1.6) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [int(w * scale) for w in weights]
    for index in range(total - sum(sizes)):
        sizes[index % parts] += 1
    return sizes


def generate(spec: DataSpec) -> Iterator[SeedThread]:
    """Every thread of both sites, comments included, one at a time."""
    rng = random.Random(spec.seed)
    pool = body_pool(rng, spec.body_pool)
    next_thread = 1
    next_comment = 1
    plan: list[tuple[int, str, int, timedelta, str | None]] = [
        (SITES[0].id, thread_article(size), size, timedelta(seconds=max(1, 3_000_000 // size)),
         None)
        for size in spec.thread_sizes
    ]
    plan.append((SITES[0].id, WIDGET_ARTICLE, spec.widget_comments, timedelta(minutes=7),
                 WIDGET_MARKER))
    plan.append((SITES[0].id, POSTING_ARTICLE, spec.posting_comments, timedelta(minutes=3), None))
    sizes = _split(spec.count_comments, spec.count_articles, rng)
    plan.extend(
        (SITES[1].id, count_article(i), sizes[i], timedelta(minutes=11), None)
        for i in range(spec.count_articles)
    )
    for number, (site_id, article, size, step, marker) in enumerate(plan):
        start = BASE_TIME + timedelta(hours=number)
        thread = SeedThread(
            id=next_thread,
            site_id=site_id,
            article_key=article,
            title=f"Benchmark article {article}",
            url=f"https://news.example/{article}",
            created_at=start,
        )
        thread.comments = build_comments(
            rng, thread.id, next_comment, size, start, step, pool, spec.max_depth, marker
        )
        next_thread += 1
        next_comment += size
        yield thread


# ---- sinks --------------------------------------------------------------------


class Sink(Protocol):
    def open(self) -> None: ...
    def add_thread(self, thread: SeedThread) -> None: ...
    def close(self) -> None: ...


class _Buffered:
    """Collects rows and writes them CHUNK at a time."""

    def __init__(self) -> None:
        self.threads: list[Any] = []
        self.comments: list[Any] = []

    def add_thread(self, thread: SeedThread) -> None:
        self.threads.append(self.thread_row(thread))
        self.comments.extend(self.comment_row(c) for c in thread.comments)
        if len(self.comments) >= CHUNK:
            self.flush()

    def thread_row(self, thread: SeedThread) -> Any:
        raise NotImplementedError

    def comment_row(self, comment: SeedComment) -> Any:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError


def our_thread_values(thread: SeedThread) -> dict[str, Any]:
    count = len(thread.comments)
    return {
        "id": thread.id, "site_id": thread.site_id, "article_key": thread.article_key,
        "title": thread.title, "url": thread.url, "is_locked": False,
        "total_count": count, "visible_count": count, "version": count,
        "created_at": thread.created_at, "last_comment_at": thread.last_comment_at,
        "is_premoderated": False,
    }


def our_comment_values(comment: SeedComment) -> dict[str, Any]:
    return {
        "id": comment.id, "thread_id": comment.thread_id, "parent_id": comment.parent_id,
        "reply_to_id": comment.reply_to_id, "root_id": comment.root_id, "depth": comment.depth,
        "path": comment.path, "author_name": comment.author_name,
        "author_email": comment.author_email, "author_website": comment.author_website,
        "avatar_seed": comment.avatar_seed, "body_markdown": comment.body_markdown,
        "body_html": comment.body_html, "status": "visible", "score": 0,
        "child_count": comment.child_count, "reply_count": comment.reply_count,
        "created_at": comment.created_at, "edited_at": None, "client_hash": None,
        "edit_token_hash": None, "status_reason": None, "is_pinned": False, "flag_count": 0,
        "import_key": None, "upvotes": 0, "downvotes": 0, "rank": 0,
        "identity_id": None, "author_picture": None,
    }


_THREAD_COLUMNS = tuple(c.name for c in Thread.__table__.columns)
_COMMENT_COLUMNS = tuple(c.name for c in Comment.__table__.columns)


def migrate(url: str, instance: Path) -> None:
    """Build our schema with the service's own migrations."""
    from comments_service import create_app
    from comments_service.cli import migrate_database
    from comments_service.extensions import db

    app = create_app(
        {"database": {"url": url}, "security": {"secret_key": "benchmark-seeding"},
         "observability": {"log_level": "WARNING"},
         # Migrating only: no outbox worker thread polling tables not yet made.
         "notifications": {"worker": "none"}},
        instance_path=instance,
    )
    migrate_database(app)
    with app.app_context():
        db.engine.dispose()


class OurSqliteSink(_Buffered):
    """Our schema on SQLite, filled with sqlite3 executemany in a few large transactions."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        # The column types' own bind processors, so times are stored exactly as the
        # service stores them (and keyset comparisons see the same text).
        dialect = sqlite_dialect.dialect()
        self._time = Comment.__table__.c.created_at.type.bind_processor(dialect)

    def open(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        migrate(f"sqlite:///{self.path}", self.path.parent / "instance")
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("BEGIN")
        now = self._time(BASE_TIME)
        self.db.executemany(
            "INSERT INTO sites (id, slug, name, allowed_origins, settings, created_at) "
            "VALUES (?, ?, ?, '[]', '{}', ?)",
            [(s.id, s.slug, s.name, now) for s in SITES],
        )

    def _row(self, values: dict[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
        for key in ("created_at", "last_comment_at", "edited_at"):
            if key in values and values[key] is not None:
                values[key] = self._time(values[key])
        return tuple(values[c] for c in columns)

    def thread_row(self, thread: SeedThread) -> Any:
        return self._row(our_thread_values(thread), _THREAD_COLUMNS)

    def comment_row(self, comment: SeedComment) -> Any:
        return self._row(our_comment_values(comment), _COMMENT_COLUMNS)

    def flush(self) -> None:
        if self.threads:
            marks = ", ".join("?" * len(_THREAD_COLUMNS))
            self.db.executemany(
                f"INSERT INTO threads ({', '.join(_THREAD_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                self.threads,
            )
        if self.comments:
            marks = ", ".join("?" * len(_COMMENT_COLUMNS))
            self.db.executemany(
                f"INSERT INTO comments ({', '.join(_COMMENT_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                self.comments,
            )
        self.threads, self.comments = [], []

    def close(self) -> None:
        self.flush()
        self.db.execute("COMMIT")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()


class OurSqlAlchemySink(_Buffered):
    """Our schema on PostgreSQL, filled with COPY (psycopg's copy protocol).

    Core insert executemany took about 3 minutes for the 1.1 million rows; COPY is
    PostgreSQL's own bulk load and takes a fraction of that.
    """

    def __init__(self, url: str, instance: Path) -> None:
        super().__init__()
        self.url = url
        self.instance = instance

    def open(self) -> None:
        engine = create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate(self.url, self.instance)
        self.engine = create_engine(self.url)
        self.conn = self.engine.connect()
        self.tx = self.conn.begin()
        # The rows are consistent by construction: skip the per-row foreign-key
        # triggers during the load, as pg_restore does (the session is a superuser's).
        self.conn.execute(text("SET LOCAL session_replication_role = replica"))
        self.conn.execute(
            insert(Site.__table__),
            [{"id": s.id, "slug": s.slug, "name": s.name, "allowed_origins": [],
              "settings": {}, "created_at": BASE_TIME} for s in SITES],
        )

    def thread_row(self, thread: SeedThread) -> Any:
        values = our_thread_values(thread)
        return tuple(values[c] for c in _THREAD_COLUMNS)

    def comment_row(self, comment: SeedComment) -> Any:
        values = our_comment_values(comment)
        return tuple(values[c] for c in _COMMENT_COLUMNS)

    def _copy(self, table: str, columns: Sequence[str], rows: list[Any]) -> None:
        raw = self.conn.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
            f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)

    def flush(self) -> None:
        if self.threads:
            self._copy("threads", _THREAD_COLUMNS, self.threads)
        if self.comments:
            self._copy("comments", _COMMENT_COLUMNS, self.comments)
        self.threads, self.comments = [], []

    def close(self) -> None:
        self.flush()
        for table in ("sites", "threads", "comments"):
            self.conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            ))
        self.tx.commit()
        self.conn.close()
        # After a bulk load, as autovacuum would shortly: planner statistics.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        self.engine.dispose()


def isso_thread_row(thread: SeedThread) -> tuple[Any, ...]:
    return (thread.id, thread.article_key, thread.title)


def isso_comment_row(comment: SeedComment) -> tuple[Any, ...]:
    """Isso's columns: tid, id, parent, created, modified, mode, remote_addr, text,
    author, email, website, likes, dislikes, voters, notification."""
    return (
        comment.thread_id, comment.id, comment.root_id if comment.depth else None,
        comment.created_at.timestamp(), None, 1, ISSO_REMOTE_ADDR, comment.body_markdown,
        comment.author_name, comment.author_email, comment.author_website, 0, 0,
        ISSO_VOTERS, 0,
    )


ISSO_SCHEMA_SCRIPT = (
    "import sys\n"
    "from isso import config\n"
    "from isso.db import SQLite3\n"
    "SQLite3(sys.argv[2], config.load(config.default_file(), sys.argv[1]))\n"
)


class IssoSink(_Buffered):
    """One site's threads in an Isso database whose schema Isso itself created."""

    def __init__(self, path: Path, site_id: int, isso_python: Path, config_path: Path) -> None:
        super().__init__()
        self.path = path
        self.site_id = site_id
        self.isso_python = isso_python
        self.config_path = config_path

    def open(self) -> None:
        self.path.unlink(missing_ok=True)
        subprocess.run(
            [str(self.isso_python), "-c", ISSO_SCHEMA_SCRIPT, str(self.config_path),
             str(self.path)],
            check=True, capture_output=True, timeout=60,
        )
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("BEGIN")

    def add_thread(self, thread: SeedThread) -> None:
        if thread.site_id == self.site_id:
            super().add_thread(thread)

    def thread_row(self, thread: SeedThread) -> Any:
        return isso_thread_row(thread)

    def comment_row(self, comment: SeedComment) -> Any:
        return isso_comment_row(comment)

    def flush(self) -> None:
        self.db.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)", self.threads)
        self.db.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, "
            "text, author, email, website, likes, dislikes, voters, notification) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.comments,
        )
        self.threads, self.comments = [], []

    def close(self) -> None:
        self.flush()
        self.db.execute("COMMIT")
        self.db.close()


@dataclass
class SeedReport:
    seconds: float
    threads: int
    comments: int
    per_site: dict[str, int]
    cpu_seconds: float = 0.0  # of the seeding processes (PostgreSQL's own work aside)


def seed_in_parallel(spec: DataSpec, groups: Sequence[Sequence[Sink]]) -> SeedReport:
    """Each group of sinks in its own (forked) process, generating the same data.

    Generation is deterministic, so every process makes the same rows; the groups
    write at once instead of one after another.
    """
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def work(group: Sequence[Sink]) -> None:
        results.put(seed(spec, group))

    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    processes = [context.Process(target=work, args=(group,)) for group in groups]
    for process in processes:
        process.start()
    reports = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a seeding process exited with {process.exitcode}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    first = reports[0]
    return SeedReport(time.perf_counter() - started, first.threads, first.comments,
                      first.per_site, cpu)


def seed(spec: DataSpec, sinks: Iterable[Sink]) -> SeedReport:
    """Generate every thread once and write it to every sink."""
    sinks = list(sinks)
    started = time.perf_counter()
    for sink in sinks:
        sink.open()
    threads = comments = 0
    per_site = {site.slug: 0 for site in SITES}
    slug = {site.id: site.slug for site in SITES}
    for thread in generate(spec):
        for sink in sinks:
            sink.add_thread(thread)
        threads += 1
        comments += len(thread.comments)
        per_site[slug[thread.site_id]] += len(thread.comments)
    for sink in sinks:
        sink.close()
    return SeedReport(time.perf_counter() - started, threads, comments, per_site)


def root_comment_id(spec: DataSpec, article: str) -> int:
    """The id of the first comment of a thread of the threads site (a top-level one)."""
    next_comment = 1
    sizes = [*spec.thread_sizes, spec.widget_comments, spec.posting_comments]
    names = [*(thread_article(s) for s in spec.thread_sizes), WIDGET_ARTICLE, POSTING_ARTICLE]
    for name, size in zip(names, sizes, strict=True):
        if name == article:
            return next_comment
        next_comment += size
    raise KeyError(article)


def manifest(spec: DataSpec) -> str:
    """A short description of the data, for the results."""
    return json.dumps({
        "thread_sizes": spec.thread_sizes, "widget_comments": spec.widget_comments,
        "count_articles": spec.count_articles, "count_comments": spec.count_comments,
        "max_depth": spec.max_depth, "reply_share": "1/3",
    })
