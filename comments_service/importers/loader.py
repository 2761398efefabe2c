"""Writing imported records into a site: threads, nesting, counters and idempotency.

Every importer's records go through here, in two steps.

1. Stage (staging.py). Records are written, as they are read, into a throwaway
   SQLite file on disk, which keeps the first of two equal ids, finds the level of
   every comment in the source tree (a comment whose parent is not in the file is
   skipped, and its replies with it), and the deleted comments left with no
   replies (skipped: a placeholder exists only to hold replies). Nothing is
   written to the database before the whole file is read, so a file that turns out
   broken or hostile changes nothing.

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

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from comments_service.clients import hash_address
from comments_service.config import CommentSettings, ImportSettings
from comments_service.importers.fields import key_problem, one_line
from comments_service.importers.present import Placement, already_present
from comments_service.importers.records import Record, Skipped
from comments_service.importers.report import PLAIN_PERMALINK, ImportReport
from comments_service.importers.sanitizing import BodySanitizer, BodySource, Sanitized
from comments_service.importers.staging import Staging, stage
from comments_service.importers.writing import SET_REPLY_TO, NewComment, Placed, insert_batch
from comments_service.models import CommentStatus, Site, Thread
from comments_service.services.drafts import clean_web_url
from comments_service.services.passages import imported_anchor
from comments_service.services.posting import attach_point, avatar_seed, get_or_create_thread
from comments_service.services.votes import rank_of

log = logging.getLogger(__name__)

# Distinct email addresses whose validation an import remembers (about 100 bytes each);
# as many client addresses and avatar seeds (their keyed hashes).
_EMAILS_REMEMBERED = 10_000

def _seed(who: tuple[str | None, str | None, str | None], secret: str) -> str:
    return avatar_seed(secret, *who)


class LoadProgress(Protocol):
    """What the loader tells a progress display while it writes."""

    def writing(self, total: int) -> None: ...

    def written(self, count: int) -> None: ...


class _NoProgress:
    def writing(self, total: int) -> None:
        pass

    def written(self, count: int) -> None:
        pass


# ---- writing ----------------------------------------------------------------------

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


@dataclass
class _Batch:
    """Staged rows about to be written, with what was found out ahead of writing them."""

    rows: list[sqlite3.Row]
    existing: dict[str, Placement]  # import key -> where the site has it already
    fields: dict[int, dict[str, Any]]  # seq -> staged fields, of the rows not present
    sanitized_seqs: list[int]  # the rows whose bodies were sent to the sanitizer
    sanitized: Callable[[], list[Sanitized]]  # waits for them, in that order


class _Writer:
    def __init__(
        self,
        session: Session,
        site: Site,
        staging: Staging,
        rules: CommentSettings,
        secret: str,
        report: ImportReport,
        sanitizer: BodySanitizer,
    ) -> None:
        self.sanitizer = sanitizer
        self.session = session
        self.site = site
        self.staging = staging
        self.rules = rules
        self.secret = secret
        self.report = report
        self._emails: dict[str, str | None] = {}
        self._hashes: dict[str, dict[Any, str]] = {}

    def run(self, batch_size: int, progress: LoadProgress) -> None:
        db = self.staging.db
        total, top = db.execute(
            "SELECT count(*), max(level) FROM comment WHERE level IS NOT NULL AND is_dropped = 0"
        ).fetchone()
        progress.writing(total)
        for level in range(0 if top is None else top + 1):
            # One batch ahead: its bodies are sanitized (in workers) while this one is
            # written. Within a level no comment is another's parent, so the next
            # batch's rows do not depend on this one's writes.
            batch = self._next_batch(level, ("", 0), batch_size)
            while batch is not None:
                last = batch.rows[-1]
                following = self._next_batch(level, (last["created_at"], last["seq"]),
                                             batch_size)
                self._write_batch(batch)
                progress.written(len(batch.rows))
                batch = following
        self._restore_reply_to(batch_size)

    def _next_batch(self, level: int, after: tuple[str, int], size: int) -> _Batch | None:
        """The next staged rows of ``level``, looked up, their new bodies sent to sanitize."""
        rows = self.staging.db.execute(_BATCH_QUERY, (level, *after, size)).fetchall()
        if not rows:
            return None
        existing = already_present(self.session, self.site.id, self.staging, rows)
        fields: dict[int, dict[str, Any]] = {}
        sanitized_seqs: list[int] = []
        sources: list[BodySource] = []
        for row in rows:
            if row["import_key"] in existing:
                continue
            fields[row["seq"]] = parsed = json.loads(row["fields"])
            if row["status"] != CommentStatus.DELETED.value:
                sanitized_seqs.append(row["seq"])
                sources.append((parsed["html"], parsed["markdown"],
                                bool(parsed.get("markdown_has_html"))))
        return _Batch(rows, existing, fields, sanitized_seqs, self.sanitizer.submit(sources))

    def _skip(self, row: sqlite3.Row, reason: str) -> None:
        where = self.staging.where(row["thread_source_id"])
        self.report.skipped.append(Skipped(row["source_id"], reason, where))

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
        problem = key_problem(key, self.rules)
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
                one_line(row["title"], self.rules.max_title_chars),
                clean_web_url(row["url"], self.rules.max_url_chars)[0],
                datetime.fromisoformat(created_at) if created_at else first_comment_at,
            )
            if row["is_locked"]:
                thread.is_locked = True
            self.session.flush()
            self.report.threads_created += 1
            if PLAIN_PERMALINK.match(key):
                self.report.plain_permalinks.append(key)
        self.staging.db.execute(
            "UPDATE thread SET db_id = ? WHERE source_id = ?", (thread.id, source_id)
        )
        return thread.id

    def _values(self, row: sqlite3.Row, thread_id: int, fields: dict[str, Any],
                sanitized: Sanitized | None) -> NewComment:
        """A new comment's column values; ``sanitized``: its body, None if deleted."""
        rules = self.rules
        status = row["status"]
        parent_id: int | None = None
        reply_to_id: int | None = None
        parent_path = ""
        depth = 0
        if row["parent_db_id"] is not None:
            reply_to_id = row["parent_db_id"]
            parent_id, parent_path, depth = attach_point(row["parent_db_path"], rules.max_depth)
        address = fields["client_address"]
        client_hash = self._hashed("address", address, hash_address) if address else None
        if status == CommentStatus.DELETED.value:
            # As services/posting.py leaves a deleted comment that has replies.
            name = email = website = None
            markdown = html = ""
            seed = self._hashed("seed", (None, None, client_hash), _seed)
        else:
            raw_name = one_line(fields["author_name"], rules.max_name_chars)
            name = raw_name or rules.anonymous_name
            self._check_name(row, fields["author_name"])
            if fields.get("held_because") and status == CommentStatus.PENDING.value:
                self.report.held[fields["held_because"]] += 1
            email = self._email(fields["author_email"])
            website, problem = clean_web_url(fields["author_website"], rules.max_website_chars)
            if problem:
                self.report.websites_dropped += 1
            assert sanitized is not None  # _next_batch sanitized every body not deleted
            markdown, html = sanitized
            seed = self._hashed("seed", (email, raw_name, client_hash), _seed)
        edited_at = fields["edited_at"]
        score = int(fields["score"])
        up, down = fields.get("upvotes"), fields.get("downvotes")
        if up is None or down is None:
            # votes: an imported net score counts as that many up (or down) votes.
            up, down = max(score, 0), max(-score, 0)
        anchor = None
        if fields.get("anchor") is not None:
            anchor = imported_anchor(fields["anchor"]) if depth == 0 else None
            if anchor is None:
                self.report.anchors_dropped += 1
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
            "score": score,
            "upvotes": up,
            "downvotes": down,
            "rank": rank_of(up, down),
            "child_count": 0,
            "reply_count": 0,
            "created_at": datetime.fromisoformat(row["created_at"]),
            "edited_at": datetime.fromisoformat(edited_at) if edited_at else None,
            "client_hash": client_hash,
            "edit_token_hash": None,
            "import_key": row["import_key"],
        }
        return NewComment(seq=row["seq"], values=values, parent_path=parent_path,
                           anchor=anchor)

    def _check_name(self, row: sqlite3.Row, value: str | None) -> None:
        """Report a name that the cap cuts: an import changes nothing silently."""
        whole = one_line(value, len(value or "") + 1)
        if whole is not None and len(whole) > self.rules.max_name_chars:
            where = self.staging.where(row["thread_source_id"])
            self.report.names_cut.append(
                f"comment {row['source_id']} ({where}): author name of {len(whole)}"
                f" characters cut to {self.rules.max_name_chars}"
            )

    def _hashed(self, kind: str, value: Any, digest: Callable[[Any, str], str]) -> str:
        """digest(value, secret), remembered: a commenter's address and avatar seed come
        back comment after comment, and each is a keyed hash (HMAC-SHA256)."""
        known = self._hashes.setdefault(kind, {})
        if value not in known:
            if len(known) >= _EMAILS_REMEMBERED:  # memory stays flat
                known.clear()
            known[value] = digest(value, self.secret)
        return known[value]

    def _email(self, value: str | None) -> str | None:
        email = one_line(value, 10 * self.rules.max_email_chars)
        if email is None:
            return None
        # A commenter's address comes back comment after comment; validating it is
        # the slowest field rule, so each distinct address is validated once.
        if email not in self._emails:
            if len(self._emails) >= _EMAILS_REMEMBERED:  # memory stays flat
                self._emails.clear()
            try:
                if len(email) > self.rules.max_email_chars:
                    raise EmailNotValidError("too long")
                self._emails[email] = validate_email(
                    email, check_deliverability=False).normalized
            except EmailNotValidError:
                self._emails[email] = None
        if self._emails[email] is None:
            self.report.emails_dropped += 1
        return self._emails[email]

    def _write_batch(self, batch: _Batch) -> None:
        rows, existing = batch.rows, batch.existing
        bodies = dict(zip(batch.sanitized_seqs, batch.sanitized(), strict=True))
        threads: dict[str, int | str] = {}
        new: list[NewComment] = []
        placed: list[Placed] = []
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
            new.append(self._values(row, thread, batch.fields[row["seq"]], bodies.get(row["seq"])))
        if new:
            placed.extend(insert_batch(self.session, new, self.report))
        self.session.commit()
        self.staging.db.executemany(
            "UPDATE comment SET db_id = ?, db_path = ?, db_thread_id = ?, is_new = ?"
            " WHERE seq = ?",
            placed,
        )
        self.staging.db.commit()

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
            self.session.execute(SET_REPLY_TO, params)
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
    sanitize.clean (HTML) or sanitize.render (Markdown), in
    ``settings.sanitize_processes`` worker processes (importers/sanitizing.py); replies deeper than
    ``rules.max_depth`` attach at the cap; comments whose import_key the site
    already has are counted as already present and not written again. Raises
    ImportFileError (from the importer) before any write when the source cannot
    be read.
    """
    report = ImportReport()
    with (
        BodySanitizer(rules, settings.sanitize_processes) as sanitizer,
        Staging(work_dir) as staging,
    ):
        stage(staging, records, settings, report.skipped)
        staging.place(report.skipped)
        writer = _Writer(session, site, staging, rules, secret, report, sanitizer)
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
