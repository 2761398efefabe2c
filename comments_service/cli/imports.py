"""`comments-service import ...` and `export`: other systems' exports in, ours out."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from comments_service.cli import _app, main
from comments_service.config import Settings
from comments_service.errors import SiteNotFound
from comments_service.extensions import db
from comments_service.importers import (
    commento,
    disqus,
    isso,
    jsonfile,
    loader,
    remark42,
    wordpress,
)
from comments_service.importers.loader import ImportReport
from comments_service.importers.records import ImportFileError, KeyFrom, Record
from comments_service.services import export, sites


class _ReadingBar:
    """A file object that moves a progress bar as the importer reads it."""

    def __init__(self, raw: IO[bytes], bar: Any) -> None:
        self._raw = raw
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data


class _WritingBar:
    """The loader's progress, as a click progress bar (on a terminal only)."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar: Any = None

    def writing(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
        self._bar.__enter__()

    def written(self, count: int) -> None:
        self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _show_report(report: ImportReport) -> None:
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(report.imported_by_status.items()))
    click.echo(
        f"imported {report.comments_imported} comments ({statuses or 'none'}); "
        f"{report.threads_created} new threads; "
        f"{report.already_present} already present; {len(report.skipped)} skipped"
    )
    if report.emails_dropped or report.websites_dropped or report.anchors_dropped:
        click.echo(
            f"left out as invalid: {report.emails_dropped} email addresses, "
            f"{report.websites_dropped} websites, {report.anchors_dropped} passage anchors"
        )
    for reason, count in sorted(report.held.items()):
        click.echo(
            f"held for moderation: {count} comments approved on {reason}, which no visitor "
            "could read (--publish-protected shows them)"
        )
    for line in report.names_cut:
        click.echo(f"name cut: {line}")
    if report.plain_permalinks:
        shown = ", ".join(report.plain_permalinks[:3])
        more = len(report.plain_permalinks) - 3
        click.echo(
            f"plain permalinks: {len(report.plain_permalinks)} threads are keyed by the "
            f"post's query ({shown}{f', and {more} more' if more > 0 else ''}). The widget "
            "keys a page by its path, which is / for all of them: embed it there with the "
            f'key, as in <div id="comments" data-article="{report.plain_permalinks[0]}">, '
            "or import with --key-from identifier and give the post's id as data-article."
        )
    for item in report.skipped:
        click.echo(f"skipped {item.describe()}")


def _nothing_imported(report: ImportReport) -> str | None:
    """Why an import that wrote nothing and found nothing already there failed, or None."""
    if report.comments_imported or report.already_present:
        return None
    if not report.skipped:
        return "nothing to import: the file holds no comments"
    reasons = Counter(item.reason for item in report.skipped)
    common = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common(3))
    return f"nothing imported: all {len(report.skipped)} comments were skipped ({common})"


def _run_import(
    slug: str, path: Path, read: Callable[[Any], Iterable[Record]], *, opens_file: bool = True
) -> None:
    """Import the records ``read`` yields from path into site ``slug``, with progress."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    is_tty = sys.stdout.isatty()
    with app.app_context():
        try:
            site = sites.get_site(db.session, slug)
        except SiteNotFound as exc:
            raise click.ClickException(
                f"no site {slug!r}: create it first with `comments-service create-site`"
            ) from exc
        writing = _WritingBar("writing comments") if is_tty else None
        with contextlib.ExitStack() as stack:
            source: Any = path
            if opens_file:
                source = stack.enter_context(path.open("rb"))
                if is_tty:
                    bar = stack.enter_context(
                        click.progressbar(
                            length=path.stat().st_size, label="reading", file=sys.stderr
                        )
                    )
                    source = _ReadingBar(source, bar)
            try:
                report = loader.load(
                    db.session,
                    site,
                    read(source),
                    rules=settings.comments,
                    settings=settings.importing,
                    secret=app.config["SECRET_KEY"],
                    progress=writing,
                )
            except ImportFileError as exc:
                raise click.ClickException(f"{path}: {exc}") from exc
            finally:
                if writing is not None:
                    writing.close()
    _show_report(report)
    failure = _nothing_imported(report)
    if failure is not None:
        raise click.ClickException(f"{path}: {failure}")


_FILE = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_SITE = click.option("--site", "slug", required=True, help="Slug of the site to import into.")
_KEY_FROM = click.option(
    "--key-from",
    type=click.Choice([key.value for key in KeyFrom]),
    default=KeyFrom.URL_PATH.value,
    show_default=True,
    help="What becomes a thread's article key: the path (and query) of the page's URL, "
    "the source's own identifier, or the whole URL.",
)


_SOURCE = click.option(
    "--source",
    "source",
    default=None,
    metavar="NAME",
    help="Name of the exported site in the import keys (default: the site's URL or, for "
    "Isso, its install). Give each blog its own when several go into one site.",
)
_PUBLISH_PROTECTED = click.option(
    "--publish-protected",
    is_flag=True,
    help="Show comments of password-protected, private and draft posts at once "
    "(default: they arrive pending, for moderators).",
)


@main.group("import")
def import_group() -> None:
    """Import comments from Disqus, WordPress, Isso, Remark42, Commento, or our export.

    Running the same import again adds nothing; every skipped item is listed. An
    import that writes nothing and finds nothing already there exits non-zero.
    """


@import_group.command("disqus")
@_FILE
@_SITE
@_KEY_FROM
def import_disqus(file: Path, slug: str, key_from: str) -> None:
    """Import a Disqus export (XML) into a site; identifier = the thread's <id>."""
    _run_import(slug, file, lambda source: disqus.read_disqus(source, KeyFrom(key_from)))


@import_group.command("wordpress")
@_FILE
@_SITE
@_KEY_FROM
@_SOURCE
@_PUBLISH_PROTECTED
def import_wordpress(
    file: Path, slug: str, key_from: str, source: str | None, publish_protected: bool
) -> None:
    """Import a WordPress or WordPress.com export (WXR); identifier = the post's wp:post_id."""
    _run_import(slug, file, lambda stream: wordpress.read_wordpress(
        stream, KeyFrom(key_from), source_label=source, publish_protected=publish_protected))


@import_group.command("isso")
@_FILE
@_SITE
@_KEY_FROM
@_SOURCE
def import_isso(file: Path, slug: str, key_from: str, source: str | None) -> None:
    """Import an Isso database (its SQLite file, read-only) into a site."""
    _run_import(
        slug, file, lambda path: isso.read_isso(path, KeyFrom(key_from), source_label=source),
        opens_file=False,
    )


@import_group.command("remark42")
@_FILE
@_SITE
@_KEY_FROM
@_SOURCE
def import_remark42(file: Path, slug: str, key_from: str, source: str | None) -> None:
    """Import a Remark42 backup (the file `remark42 backup` writes, gzipped or not)."""
    _run_import(slug, file, lambda stream: remark42.read_remark42(
        stream, KeyFrom(key_from), source_label=source))


@import_group.command("commento")
@_FILE
@_SITE
@_KEY_FROM
@_SOURCE
def import_commento(file: Path, slug: str, key_from: str, source: str | None) -> None:
    """Import a Commento data export (JSON, gzipped or not); identifier = the page path."""
    _run_import(slug, file, lambda stream: commento.read_commento(
        stream, KeyFrom(key_from), source_label=source))


@import_group.command("json")
@_FILE
@_SITE
def import_json(file: Path, slug: str) -> None:
    """Import a file written by `comments-service export` into a site."""
    _run_import(slug, file, jsonfile.read_export)


@main.command("export")
@click.option("--site", "slug", required=True, help="Slug of the site to export.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(slug: str, file: Path) -> None:
    """Write every thread and comment of a site to FILE (JSON, emails included: keep it private).

    The file appears complete or not at all: it is written beside FILE and renamed.
    """
    app = _app()
    with app.app_context():
        try:
            site = sites.get_site(db.session, slug)
        except SiteNotFound as exc:
            raise click.ClickException(f"no site {slug!r}") from exc
        partial = file.with_name(f".{file.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                summary = export.export_site(db.session, site, out, datetime.now(UTC))
            partial.replace(file)
        finally:
            partial.unlink(missing_ok=True)
    click.echo(f"exported {summary.comments} comments in {summary.threads} threads to {file}")
