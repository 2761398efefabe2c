"""Imported bodies through the sanitizer, in worker processes while the loader writes.

Sanitizing is most of an import's work (bleach parses and serializes every body
with markup, about 0.6 ms each; ``sanitize.to_text`` follows). It needs nothing
from the database, so the loader hands each batch's bodies to a small process pool
one batch ahead and writes the batch before meanwhile: on two cores the
sanitizing and the writing overlap. Workers run ``fields.bodies``, the very
function the loader runs without a pool, on the same values, so the stored text is
the same either way (tests/importers/test_sanitizing.py compares them).

The pool starts with the first batch that has bodies enough to share out (a
re-import, whose comments are all present, starts none). Workers are forked where
the system can (Linux): they start in milliseconds with the sanitizer already
loaded, where a fork server or spawn first imports the application again (1.5 s of
CPU, on the path of the first batch). A forked worker only runs ``sanitized``: it
never touches the database connections or the staging file it inherits, and the
importing command has no other thread to inherit. ``processes = 0`` sanitizes in
the importing process, as before.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from comments_service.config import CommentSettings
from comments_service.importers.fields import bodies
from comments_service.importers.records import Body

log = logging.getLogger(__name__)

# A staged body: (html, markdown, markdown_has_html), as fields.bodies reads it.
BodySource = tuple[str | None, str | None, bool]
Sanitized = tuple[str, str]  # (body_markdown, body_html)
# Pieces each worker gets of a batch: a worker that finishes early takes the next one.
_PIECES_PER_WORKER = 2
# Fewer bodies than this in a batch are sanitized here: not worth a pool (small files).
MIN_POOLED = 64


def sanitized(sources: Sequence[BodySource], rules: CommentSettings) -> list[Sanitized]:
    """(body_markdown, body_html) of each source body, in order (what workers run)."""
    return [
        bodies(Body(html=html, markdown=markdown, markdown_has_html=has_html), rules)
        for html, markdown, has_html in sources
    ]


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class BodySanitizer:
    """Sanitizes batches of bodies, in ``processes`` workers (0: in this process)."""

    def __init__(
        self, rules: CommentSettings, processes: int, min_pooled: int = MIN_POOLED
    ) -> None:
        self.rules = rules
        self.processes = processes
        self.min_pooled = min_pooled
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, sources: list[BodySource]) -> Callable[[], list[Sanitized]]:
        """Start sanitizing ``sources``; the returned call waits for the results, in order.

        Without workers, the work is done by that call. A worker's exception is
        raised by the call; if the pool broke (a worker died), the call does the
        work itself and the sanitizer goes on without workers.
        """
        if self.processes < 1 or len(sources) < max(1, self.min_pooled):
            return lambda: sanitized(sources, self.rules)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=_context())
        step = max(1, -(-len(sources) // (self.processes * _PIECES_PER_WORKER)))
        futures: list[Future[list[Sanitized]]] = [
            self._pool.submit(sanitized, sources[start:start + step], self.rules)
            for start in range(0, len(sources), step)
        ]
        return lambda: self._results(futures, sources)

    def _results(
        self, futures: list[Future[list[Sanitized]]], sources: list[BodySource]
    ) -> list[Sanitized]:
        try:
            return [result for future in futures for result in future.result()]
        except BrokenProcessPool:
            # A worker died, or could not start (a main module that starts an import
            # when imported again, without `if __name__ == "__main__"`): the same work
            # is done here, and the rest of the import without workers.
            log.warning("import_sanitizer_workers_lost", exc_info=True)
            self.close()
            return sanitized(sources, self.rules)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self.processes = 0

    def __enter__(self) -> BodySanitizer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
