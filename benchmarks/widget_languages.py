"""Only the widget's time-to-first-comment rows, English page against a German one.

    .venv/bin/python -m benchmarks.widget_languages [--loads 5] [--rounds 3]

Seeds the 200-comment widget thread (and nothing else of `make bench`'s data) into a
SQLite database, serves comments_service as `make bench` does (gunicorn, production
settings), and loads the host page in headless Chromium, alternating English and German
rounds so that a loaded machine slows both alike. Prints the medians; writes nothing.
The same two rows are part of `make bench` (benchmarks/run.py, widget section).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks import seed, servers, widget

REPO = Path(__file__).resolve().parent.parent
SPEC = seed.DataSpec(thread_sizes=(10,), widget_comments=200, posting_comments=1,
                     count_articles=2, count_comments=4, body_pool=600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5, help="cold loads per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="comments-bench-widget-lang-"))
    times: dict[str, list[float]] = {"en": [], widget.OTHER_LANGUAGE: []}
    try:
        seed.seed_in_parallel(SPEC, [[seed.OurSqliteSink(work / "ours.db")]])
        server = servers.our_server(Path(sys.prefix), REPO, servers.free_port(),
                                    f"sqlite:///{work / 'ours.db'}", work, work / "ours.log")
        with servers.running(server), widget.PageServer() as pages, \
                widget.browser() as browser:
            if browser is None:
                print("no Chromium at /usr/bin/chromium: nothing measured")
                return 2
            for lang in times:
                pages.pages[f"/{lang}.html"] = widget.our_page(server.base_url, lang)
            for number in range(args.rounds):
                for lang in times:
                    median = browser.first_comment_ms(f"{pages.origin}/{lang}.html", args.loads)
                    times[lang].append(median)
                    print(f"round {number + 1} {lang}: {median:.1f} ms", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    english = statistics.median(times["en"])
    other = statistics.median(times[widget.OTHER_LANGUAGE])
    print(f"first comment shown, {SPEC.widget_comments}-comment thread, median of "
          f"{args.rounds} rounds x {args.loads} cold loads:")
    print(f"  English page: {english:.1f} ms")
    print(f"  German page (+ de.json): {other:.1f} ms ({other / english:.2f}x English)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
