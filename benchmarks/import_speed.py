"""Import speed: `comments-service import wordpress` of 32,000 comments, then again.

Writes a WordPress export (WXR 1.2) of the given number of comments (default 32,000:
320 posts of 100, a third of them replies, names with entities, paragraphs, a <pre>
now and then), imports it with the real command in a child process into a fresh
database, and imports it again into the same site: the second run must find every
comment already present, one indexed look-up per comment. Prints both times beside
the target (each well under 15 s), and gives make bench its rows.

    .venv/bin/python -m benchmarks.import_speed                      # SQLite, 32,000
    .venv/bin/python -m benchmarks.import_speed --comments 2000      # a quick smoke
    .venv/bin/python -m benchmarks.import_speed --database-url postgresql+psycopg://...

--database-url names a PostgreSQL database this run may wipe (its public schema is
dropped and rebuilt). Not run by the tests.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COMMAND = [str(Path(sys.executable).parent / "comments-service")]
COMMENTS = 32_000
PER_POST = 100
BUDGET_S = 15.0  # issue 17: each run well under this
WORDS = ["comment", "reply", "great", "point", "agree", "thanks", "café", "naïve", "日本",
         "because", "however", "🎉", "link", "code", "quote"]

_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="https://wordpress.org/export/1.2/">
<channel><title>Bench blog</title><link>https://bench.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_blog_url>https://bench.example</wp:base_blog_url>
"""


def _content(rng: random.Random) -> str:
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
                  for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.1:
        paragraphs.append("<pre>def f():\n    return 1</pre>")
    if rng.random() < 0.2:
        paragraphs.append('<b>bold</b> and <a href="https://example.org/x">a link</a>')
    return "\n\n".join(paragraphs)


def write_wxr(path: Path, comments: int = COMMENTS, seed: int = 17) -> int:
    """Write a WXR export of ``comments`` comments; return how many it holds."""
    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(_HEAD)
        post = 0
        while written < comments:
            post += 1
            out.write(f"<item><title>Post {post}</title>"
                      f"<link>https://bench.example/{post}/</link>"
                      f"<wp:post_id>{post}</wp:post_id><wp:status>publish</wp:status>"
                      "<wp:post_type>post</wp:post_type>\n")
            in_post: list[int] = []
            for _ in range(min(PER_POST, comments - written)):
                written += 1
                parent = rng.choice(in_post[-20:]) if in_post and rng.random() < 0.33 else 0
                minute = written % 60
                out.write(
                    f"<wp:comment><wp:comment_id>{written}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Reader {written % 900} &amp; co]]>"
                    "</wp:comment_author>"
                    f"<wp:comment_author_email>r{written % 900}@example.org"
                    "</wp:comment_author_email>"
                    f"<wp:comment_author_IP>198.51.100.{written % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2020-0{1 + post % 9}-1{written % 10} "
                    f"10:{minute:02d}:00</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{_content(rng)}]]></wp:comment_content>"
                    "<wp:comment_approved>1</wp:comment_approved>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
                in_post.append(written)
            out.write("</item>\n")
        out.write("</channel></rss>\n")
    return written


def _run(arguments: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*COMMAND, *arguments], env=env, check=False, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments[:2])} failed: {done.stdout}{done.stderr}")
    return done.stdout


def _wipe(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def measure(work: Path, database_url: str | None, comments: int = COMMENTS) -> dict[str, Any]:
    """{"import": {...}, "reimport": {...}}: seconds and report line of each run."""
    url = database_url or f"sqlite:///{work / 'import-speed.db'}"
    if database_url:
        _wipe(database_url)
    env = {**os.environ, "COMMENTS_DATABASE_URL": url,
           "COMMENTS_SECURITY_SECRET_KEY": "benchmark-secret",
           "COMMENTS_OBSERVABILITY_LOG_FORMAT": "text", "TMPDIR": str(work)}
    export = work / "wordpress-bench.xml"
    count = write_wxr(export, comments)
    _run(["migrate"], env)
    _run(["create-site", "bench"], env)
    result: dict[str, Any] = {}
    for key in ("import", "reimport"):
        started = time.perf_counter()
        report = _run(["import", "wordpress", str(export), "--site", "bench"], env)
        seconds = time.perf_counter() - started
        result[key] = {"seconds": seconds, "comments": count,
                       "note": report.splitlines()[0] if report else ""}
    export.unlink()
    if database_url:
        _wipe(database_url)
    return result


def budget() -> dict[str, Any]:
    """The baseline entry of the rows: the issue's bound, as a figure."""
    return {"import": {"seconds": BUDGET_S}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=COMMENTS)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-speed-") as folder:
        result = measure(Path(folder), options.database_url or None, options.comments)
    backend = "PostgreSQL" if options.database_url else "SQLite"
    for key, label in (("import", "import"), ("reimport", "re-import (all already present)")):
        entry = result[key]
        verdict = "met" if entry["seconds"] < BUDGET_S / 2 else "NOT met"
        print(f"{backend}: {label} of {entry['comments']:,} WordPress comments: "
              f"{entry['seconds']:.1f} s (target: well under {BUDGET_S:g} s, at most half: "
              f"{verdict})")
        print(f"    {entry['note']}")


if __name__ == "__main__":
    main()
