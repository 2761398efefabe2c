"""Writing imported records into a site: threads, nesting, counters and idempotency.

Every importer's records go through here, in two steps.

1. Stage. Records are written, as they are read, into a throwaway SQLite file on
   disk (stdlib sqlite3): a source may list replies before their parents, threads
   after their comments, or one id twice, and a 1 GB export cannot be held in
   memory to sort that out. Staging keeps the first of two equal ids, finds the
   level of every comment in the source tree (a comment whose parent is not in
   the file is skipped, and its replies with it), and the deleted comments left
   with no replies (skipped: a placeholder exists only to hold replies). Nothing
   is written to the database before the whole file is read, so a file that turns
   out broken or hostile changes nothing.

2. Write. Comments go in level by level (every top-level comment, then their
   replies, ...), oldest first within a level, so that a parent always has its id
   and path before its replies and siblings get ids in date order (replies are
   shown in path order). Each batch is one multi-row INSERT, one UPDATE of paths
   and root ids, counter increments by SQL expressions (as services/posting.py
   does, so a live site keeps counting right), then a commit. A comment whose
   import_key the site already has is not written again: a second run adds
   nothing, and a run that was cut short resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, case, insert, or_, select, update
from sqlalchemy.orm import Session

from comments_service import sanitize
from comments_service.clients import hash_address
from comments_service.config import CommentSettings, ImportSettings
from comments_service.importers.records import (
    Body,
    CommentRecord,
    Record,
    Skipped,
    ThreadRecord,
)
from comments_service.models import (
    MAX_IMPORT_KEY,
    Comment,
    CommentStatus,
    Site,
    Thread,
    UTCDateTime,
    path_segment,
)
from comments_service.services.posting import clean_body, clean_web_url, get_or_create_thread

log = logging.getLogger(__name__)

# As services/posting.py: no control characters in one-line fields.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SPACES = re.compile(r"\s+")

_STAGING_SCHEMA = """
CREATE TABLE thread (
    source_id TEXT PRIMARY KEY,
    article_key TEXT,
    title TEXT,
    url TEXT,
    created_at TEXT,
    is_locked INTEGER NOT NULL,
    db_id INTEGER
);
CREATE TABLE comment (
    seq INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL UNIQUE,
    import_key TEXT NOT NULL UNIQUE,
    thread_source_id TEXT NOT NULL,
    parent_source_id TEXT,
    reply_to_is_parent INTEGER NOT NULL,
    reply_to_source_id TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    fields TEXT NOT NULL,
    level INTEGER,
    is_dropped INTEGER NOT NULL DEFAULT 0,
    is_new INTEGER NOT NULL DEFAULT 0,
    db_id INTEGER,
    db_path TEXT,
    db_thread_id INTEGER
);
CREATE INDEX comment_parent ON comment (parent_source_id);
CREATE INDEX comment_level ON comment (level, created_at, seq);
"""


class LoadProgress(Protocol):
    """What the loader tells a progress display while it writes."""

    def writing(self, total: int) -> None: ...

    def written(self, count: int) -> None: ...


class _NoProgress:
    def writing(self, total: int) -> None:
        pass

    def written(self, count: int) -> None:
        pass


@dataclass
class ImportReport:
    """What an import did: counts, and every item it left out with the reason."""

    threads_created: int = 0
    comments_imported: int = 0
    already_present: int = 0
    imported_by_status: Counter[str] = field(default_factory=Counter)
    emails_dropped: int = 0
    websites_dropped: int = 0
    skipped: list[Skipped] = field(default_factory=list)


# ---- field rules ---------------------------------------------------------------


def _one_line(value: str | None, limit: int) -> str | None:
    """Trimmed, control characters out, whitespace folded, cut to limit; None if empty."""
    if value is None:
        return None
    value = _SPACES.sub(" ", _ANY_CONTROL.sub(" ", value)).strip()[:limit].strip()
    return value or None


def _stamp(value: datetime) -> str:
    """Fixed-width UTC ISO text: sorts as the time it stands for."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def avatar_seed(secret: str, email: str | None, name: str | None, client_hash: str | None) -> str:
    """The avatar seed services/posting.py gives the same author (keyed hash of who)."""
    identity = (email or name or client_hash or "anonymous").lower()
    return hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()[:16]


# Another system's HTML says some things with tags our allow-list lacks: bold and italic
# as <b> and <i>, which keep their meaning as <strong> and <em>; and script and style
# elements, whose content is code, not text a reader wrote (bleach would keep it as
# text). These rewrites only choose what the sanitizer is given: its output is still
# all that is stored.
_BOLD_OR_ITALIC = re.compile(r"<(/?)(b|i)(?=[\s>/])[^>]*>", re.IGNORECASE)
_CODE_ELEMENT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_STRONGER = {"b": "strong", "i": "em"}


def _with_meaning(html: str) -> str:
    html = _CODE_ELEMENT.sub("", html)
    return _BOLD_OR_ITALIC.sub(
        lambda match: f"<{match[1]}{_STRONGER[match[2].lower()]}>", html
    )


def bodies(body: Body, rules: CommentSettings) -> tuple[str, str]:
    """(body_markdown, body_html) for a source body, through the one sanitizer.

    HTML is cleaned by the allow-list (its plain text is kept as the Markdown
    source, for a moderator who edits it); Markdown is rendered as a reader's is.
    """
    # clean_body's error messages are for readers (empty, too long): not used here.
    if body.html is not None:
        html = sanitize.clean(_with_meaning(clean_body(body.html, rules, {})))
        markdown = body.markdown if body.markdown is not None else sanitize.to_text(html)
        return clean_body(markdown, rules, {}), html
    markdown = clean_body(body.markdown or "", rules, {})
    return markdown, sanitize.render(markdown)


def _key_problem(key: str, rules: CommentSettings) -> str | None:
    if not key:
        return "has no article key (try another --key-from)"
    if _ANY_CONTROL.search(key):
        return "has control characters in its article key"
    if len(key) > rules.max_article_key_chars:
        return f"has an article key longer than {rules.max_article_key_chars} characters"
    return None


def attach_point(parent_path: str, max_depth: int) -> tuple[int | None, str, int]:
    """(parent id, parent path, depth) for a reply to the comment at parent_path.

    The rule of services/posting.py: a reply deeper than max_depth attaches beside
    its parent, under the ancestor at the cap.
    """
    segments = parent_path.split(".")
    keep = min(len(segments), max_depth)
    if keep == 0:
        return None, "", 0
    return int(segments[keep - 1]), ".".join(segments[:keep]), keep


# ---- staging ----------------------------------------------------------------------


class _Staging:
    """The throwaway SQLite file records are sorted out in; removed on exit."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="comments-import-", dir=directory)
        self.db = sqlite3.connect(Path(self._directory.name) / "staging.sqlite3")
        self.db.row_factory = sqlite3.Row
        # Throwaway data: no journal, no fsync. The page cache stays SQLite's default
        # (about 2 MB), so memory does not grow with the file.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.executescript(_STAGING_SCHEMA)

    def __enter__(self) -> _Staging:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.db.close()
        self._directory.cleanup()

    def add_thread(self, record: ThreadRecord) -> bool:
        cursor = self.db.execute(
            "INSERT INTO thread (source_id, article_key, title, url, created_at, is_locked)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                record.source_id,
                record.article_key,
                record.title,
                record.url,
                _stamp(record.created_at) if record.created_at else None,
                record.is_locked,
            ),
        )
        return cursor.rowcount == 1

    def add_comment(self, record: CommentRecord) -> bool:
        fields = {
            "html": record.body.html,
            "markdown": record.body.markdown,
            "author_name": record.author_name,
            "author_email": record.author_email,
            "author_website": record.author_website,
            "client_address": record.client_address,
            "edited_at": _stamp(record.edited_at) if record.edited_at else None,
            "score": record.score,
        }
        cursor = self.db.execute(
            "INSERT INTO comment (source_id, import_key, thread_source_id, parent_source_id,"
            " reply_to_is_parent, reply_to_source_id, status, created_at, fields)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                record.source_id,
                record.import_key,
                record.thread_source_id,
                record.parent_source_id,
                record.reply_to_is_parent,
                record.reply_to_source_id,
                record.status.value,
                _stamp(record.created_at),
                json.dumps(fields),
            ),
        )
        return cursor.rowcount == 1

    def place(self, report: ImportReport) -> None:
        """Give every comment reachable from a top-level one its level; report the rest."""
        db = self.db
        db.execute("UPDATE comment SET level = 0 WHERE parent_source_id IS NULL")
        level = 0
        while db.execute(
            "UPDATE comment SET level = ? WHERE level IS NULL AND parent_source_id IN"
            " (SELECT source_id FROM comment WHERE level = ?)",
            (level + 1, level),
        ).rowcount:
            level += 1
        for row in db.execute(
            "SELECT c.source_id, c.parent_source_id, p.seq AS parent_seq FROM comment c"
            " LEFT JOIN comment p ON p.source_id = c.parent_source_id"
            " WHERE c.level IS NULL ORDER BY c.seq"
        ):
            parent = row["parent_source_id"]
            reason = (
                f"missing parent {parent}"
                if row["parent_seq"] is None
                else f"parent {parent} is not reachable (an ancestor is missing, or a cycle)"
            )
            report.skipped.append(Skipped(row["source_id"], reason))
        # A deleted comment is kept only as a placeholder for replies that are kept.
        while db.execute(
            "UPDATE comment SET is_dropped = 1 WHERE status = ? AND is_dropped = 0"
            " AND level IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comment child"
            " WHERE child.parent_source_id = comment.source_id AND child.is_dropped = 0"
            " AND child.level IS NOT NULL)",
            (CommentStatus.DELETED.value,),
        ).rowcount:
            pass
        for row in db.execute("SELECT source_id FROM comment WHERE is_dropped = 1 ORDER BY seq"):
            report.skipped.append(Skipped(row["source_id"], "deleted, with no replies to hold"))
        db.commit()


def _stage(
    staging: _Staging, records: Iterable[Record], settings: ImportSettings, report: ImportReport
) -> None:
    for record in records:
        if isinstance(record, Skipped):
            report.skipped.append(record)
        elif isinstance(record, ThreadRecord):
            if not staging.add_thread(record):
                report.skipped.append(
                    Skipped(f"thread {record.source_id}", "duplicate thread id (first kept)")
                )
        elif len(record.import_key) > MAX_IMPORT_KEY:
            report.skipped.append(Skipped(record.source_id, "id too long"))
        elif len(record.body.html or record.body.markdown or "") > settings.max_body_chars:
            report.skipped.append(
                Skipped(record.source_id, f"body longer than {settings.max_body_chars} characters")
            )
        elif not staging.add_comment(record):
            report.skipped.append(Skipped(record.source_id, "duplicate id (first kept)"))
    staging.db.commit()


# ---- writing ----------------------------------------------------------------------

_COMMENTS = Comment.__table__
_THREADS = Thread.__table__

_BATCH_QUERY = """
SELECT c.seq, c.source_id, c.import_key, c.thread_source_id, c.parent_source_id,
       c.status, c.created_at, c.fields,
       p.db_id AS parent_db_id, p.db_path AS parent_db_path,
       p.db_thread_id AS parent_db_thread_id
FROM comment c LEFT JOIN comment p ON p.source_id = c.parent_source_id
WHERE c.level = ? AND c.is_dropped = 0 AND (c.created_at, c.seq) > (?, ?)
ORDER BY c.created_at, c.seq
LIMIT ?
"""

_SET_PATH = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(path=bindparam("b_path"), root_id=bindparam("b_root"))
)
_ADD_CHILDREN = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(child_count=_COMMENTS.c.child_count + bindparam("b_count"))
)
_ADD_REPLIES = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(reply_count=_COMMENTS.c.reply_count + bindparam("b_count"))
)
_SET_REPLY_TO = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("b_id"))
    .values(reply_to_id=bindparam("b_reply_to"))
)
_LAST = bindparam("b_last", type_=UTCDateTime())
_ADD_TO_THREAD = (
    update(_THREADS)
    .where(_THREADS.c.id == bindparam("b_id"))
    .values(
        total_count=_THREADS.c.total_count + bindparam("b_total"),
        visible_count=_THREADS.c.visible_count + bindparam("b_visible"),
        version=_THREADS.c.version + 1,
        last_comment_at=case(
            (or_(_THREADS.c.last_comment_at.is_(None), _THREADS.c.last_comment_at < _LAST), _LAST),
            else_=_THREADS.c.last_comment_at,
        ),
    )
)


@dataclass
class _NewComment:
    seq: int
    values: dict[str, Any]
    parent_path: str  # path of the comment it hangs under ("" for top level)


class _Writer:
    def __init__(
        self,
        session: Session,
        site: Site,
        staging: _Staging,
        rules: CommentSettings,
        secret: str,
        report: ImportReport,
    ) -> None:
        self.session = session
        self.site = site
        self.staging = staging
        self.rules = rules
        self.secret = secret
        self.report = report

    def run(self, batch_size: int, progress: LoadProgress) -> None:
        db = self.staging.db
        total, top = db.execute(
            "SELECT count(*), max(level) FROM comment WHERE level IS NOT NULL AND is_dropped = 0"
        ).fetchone()
        progress.writing(total)
        for level in range(0 if top is None else top + 1):
            after: tuple[str, int] = ("", 0)
            while rows := db.execute(_BATCH_QUERY, (level, *after, batch_size)).fetchall():
                self._write_batch(rows)
                progress.written(len(rows))
                after = (rows[-1]["created_at"], rows[-1]["seq"])
        self._restore_reply_to(batch_size)

    def _skip(self, row: sqlite3.Row, reason: str) -> None:
        self.report.skipped.append(Skipped(row["source_id"], reason))

    def _existing(self, keys: list[str]) -> dict[str, tuple[int, str, int]]:
        rows = self.session.execute(
            select(Comment.import_key, Comment.id, Comment.path, Comment.thread_id)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(Thread.site_id == self.site.id, Comment.import_key.in_(keys))
        )
        return {key: (ident, path, thread) for key, ident, path, thread in rows}

    def _thread_id(self, source_id: str, first_comment_at: datetime) -> int | str:
        """The database id of a staged thread (created on first use), or why it has none."""
        row = self.staging.db.execute(
            "SELECT article_key, title, url, created_at, is_locked, db_id FROM thread"
            " WHERE source_id = ?",
            (source_id,),
        ).fetchone()
        if row is None:
            return f"its thread {source_id} is not in the file"
        if row["db_id"] is not None:
            return int(row["db_id"])
        key = (row["article_key"] or "").strip()
        problem = _key_problem(key, self.rules)
        if problem is not None:
            return f"its thread {source_id} {problem}"
        thread = self.session.execute(
            select(Thread).where(Thread.site_id == self.site.id, Thread.article_key == key)
        ).scalar_one_or_none()
        if thread is None:
            created_at = row["created_at"]
            thread = get_or_create_thread(
                self.session,
                self.site,
                key,
                _one_line(row["title"], self.rules.max_title_chars),
                clean_web_url(row["url"], self.rules.max_url_chars)[0],
                datetime.fromisoformat(created_at) if created_at else first_comment_at,
            )
            if row["is_locked"]:
                thread.is_locked = True
            self.session.flush()
            self.report.threads_created += 1
        self.staging.db.execute(
            "UPDATE thread SET db_id = ? WHERE source_id = ?", (thread.id, source_id)
        )
        return thread.id

    def _values(self, row: sqlite3.Row, thread_id: int) -> _NewComment:
        rules = self.rules
        fields = json.loads(row["fields"])
        status = row["status"]
        parent_id: int | None = None
        reply_to_id: int | None = None
        parent_path = ""
        depth = 0
        if row["parent_db_id"] is not None:
            reply_to_id = row["parent_db_id"]
            parent_id, parent_path, depth = attach_point(row["parent_db_path"], rules.max_depth)
        address = fields["client_address"]
        client_hash = hash_address(address, self.secret) if address else None
        if status == CommentStatus.DELETED.value:
            # As services/posting.py leaves a deleted comment that has replies.
            name = email = website = None
            markdown = html = ""
            seed = avatar_seed(self.secret, None, None, client_hash)
        else:
            raw_name = _one_line(fields["author_name"], rules.max_name_chars)
            name = raw_name or rules.anonymous_name
            email = self._email(fields["author_email"])
            website, problem = clean_web_url(fields["author_website"], rules.max_website_chars)
            if problem:
                self.report.websites_dropped += 1
            markdown, html = bodies(Body(html=fields["html"], markdown=fields["markdown"]), rules)
            seed = avatar_seed(self.secret, email, raw_name, client_hash)
        edited_at = fields["edited_at"]
        values = {
            "thread_id": thread_id,
            "parent_id": parent_id,
            "reply_to_id": reply_to_id,
            "root_id": None,
            "depth": depth,
            "path": "",
            "author_name": name,
            "author_email": email,
            "author_website": website,
            "avatar_seed": seed,
            "body_markdown": markdown,
            "body_html": html,
            "status": status,
            "score": int(fields["score"]),
            "child_count": 0,
            "reply_count": 0,
            "created_at": datetime.fromisoformat(row["created_at"]),
            "edited_at": datetime.fromisoformat(edited_at) if edited_at else None,
            "client_hash": client_hash,
            "edit_token_hash": None,
            "import_key": row["import_key"],
        }
        return _NewComment(seq=row["seq"], values=values, parent_path=parent_path)

    def _email(self, value: str | None) -> str | None:
        email = _one_line(value, 10 * self.rules.max_email_chars)
        if email is None:
            return None
        try:
            if len(email) > self.rules.max_email_chars:
                raise EmailNotValidError("too long")
            return validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            self.report.emails_dropped += 1
            return None

    def _write_batch(self, rows: list[sqlite3.Row]) -> None:
        existing = self._existing([row["import_key"] for row in rows])
        threads: dict[str, int | str] = {}
        new: list[_NewComment] = []
        placed: list[tuple[int, str, int, int, int]] = []  # db id, path, thread, is_new, seq
        for row in rows:
            if row["import_key"] in existing:
                ident, path, thread_id = existing[row["import_key"]]
                placed.append((ident, path, thread_id, 0, row["seq"]))
                self.report.already_present += 1
                continue
            source_thread = row["thread_source_id"]
            if source_thread not in threads:
                created_at = datetime.fromisoformat(row["created_at"])
                threads[source_thread] = self._thread_id(source_thread, created_at)
            thread = threads[source_thread]
            if isinstance(thread, str):
                self._skip(row, thread)
                continue
            parent = row["parent_source_id"]
            if parent is not None and row["parent_db_id"] is None:
                self._skip(row, f"its parent {parent} was skipped")
                continue
            if parent is not None and row["parent_db_thread_id"] != thread:
                self._skip(row, f"its parent {parent} is in another thread")
                continue
            new.append(self._values(row, thread))
        if new:
            placed.extend(self._insert(new))
        self.session.commit()
        self.staging.db.executemany(
            "UPDATE comment SET db_id = ?, db_path = ?, db_thread_id = ?, is_new = ?"
            " WHERE seq = ?",
            placed,
        )
        self.staging.db.commit()

    def _insert(self, new: list[_NewComment]) -> list[tuple[int, str, int, int, int]]:
        """Insert a batch, set paths and root ids, and move the counters; return placements."""
        ids = self.session.execute(
            insert(_COMMENTS).returning(_COMMENTS.c.id, sort_by_parameter_order=True),
            [comment.values for comment in new],
        ).scalars().all()
        paths: list[dict[str, Any]] = []
        placed: list[tuple[int, str, int, int, int]] = []
        children: Counter[int] = Counter()
        replies: Counter[int] = Counter()
        threads: dict[int, dict[str, Any]] = {}
        for comment, ident in zip(new, ids, strict=True):
            values = comment.values
            own = path_segment(ident)
            path = f"{comment.parent_path}.{own}" if comment.parent_path else own
            root = int(comment.parent_path.split(".")[0]) if comment.parent_path else ident
            paths.append({"b_id": ident, "b_path": path, "b_root": root})
            placed.append((ident, path, values["thread_id"], 1, comment.seq))
            status = values["status"]
            is_visible = status == CommentStatus.VISIBLE.value
            if values["parent_id"] is not None:
                children[values["parent_id"]] += 1
                if is_visible:
                    replies[root] += 1
            counts = threads.setdefault(
                values["thread_id"],
                {"b_id": values["thread_id"], "b_total": 0, "b_visible": 0, "b_last": None},
            )
            counts["b_total"] += status != CommentStatus.DELETED.value
            counts["b_visible"] += is_visible
            if counts["b_last"] is None or values["created_at"] > counts["b_last"]:
                counts["b_last"] = values["created_at"]
            self.report.comments_imported += 1
            self.report.imported_by_status[status] += 1
        self.session.execute(_SET_PATH, paths)
        if children:
            self.session.execute(
                _ADD_CHILDREN, [{"b_id": i, "b_count": n} for i, n in children.items()]
            )
        if replies:
            self.session.execute(
                _ADD_REPLIES, [{"b_id": i, "b_count": n} for i, n in replies.items()]
            )
        self.session.execute(_ADD_TO_THREAD, list(threads.values()))
        return placed

    def _restore_reply_to(self, batch_size: int) -> None:
        """Where the source says a reply answered another comment than its parent
        (our export, for replies the depth cap moved), point reply_to_id there."""
        rows = self.staging.db.execute(
            "SELECT c.db_id, r.db_id AS reply_to FROM comment c"
            " LEFT JOIN comment r ON r.source_id = c.reply_to_source_id"
            " WHERE c.is_new = 1 AND c.reply_to_is_parent = 0"
            " AND c.reply_to_source_id IS NOT c.parent_source_id"
        )
        while batch := rows.fetchmany(batch_size):
            params = [{"b_id": row["db_id"], "b_reply_to": row["reply_to"]} for row in batch]
            self.session.execute(_SET_REPLY_TO, params)
            self.session.commit()


# ---- the service --------------------------------------------------------------------


def load(
    session: Session,
    site: Site,
    records: Iterable[Record],
    *,
    rules: CommentSettings,
    settings: ImportSettings,
    secret: str,
    progress: LoadProgress | None = None,
    work_dir: Path | None = None,
) -> ImportReport:
    """Write an importer's records into ``site``; return what was done and what was skipped.

    Reads all of ``records`` into a staging file in ``work_dir`` (the system's
    temporary folder by default) before writing anything, then writes and
    commits in batches of ``settings.batch_size``: unlike other services, this one
    commits, so that a long import holds no long transaction. Bodies go through
    sanitize.clean (HTML) or sanitize.render (Markdown); replies deeper than
    ``rules.max_depth`` attach at the cap; comments whose import_key the site
    already has are counted as already present and not written again. Raises
    ImportFileError (from the importer) before any write when the source cannot
    be read.
    """
    report = ImportReport()
    with _Staging(work_dir) as staging:
        _stage(staging, records, settings, report)
        staging.place(report)
        writer = _Writer(session, site, staging, rules, secret, report)
        writer.run(settings.batch_size, progress or _NoProgress())
    log.info(
        "import_finished",
        extra={
            "site": site.slug,
            "threads_created": report.threads_created,
            "comments_imported": report.comments_imported,
            "already_present": report.already_present,
            "skipped": len(report.skipped),
        },
    )
    return report
