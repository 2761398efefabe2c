"""Memory of `comments-service import disqus` on a large export: it should stay flat.

Writes Disqus exports of the given sizes (default 20 MB and 200 MB) to a temporary
folder, imports each into a fresh SQLite database (or the PostgreSQL database given
with --database-url, emptied first) with the real command in a child process, and
samples the child's resident memory every 50 ms. Prints, per size: the file size,
comments written, wall time and peak RSS (sampled, and the kernel's high-water mark
from wait4). If memory is flat, the peak barely moves while the file grows tenfold.

    .venv/bin/python benchmarks/import_memory.py                 # 20 MB and 200 MB
    .venv/bin/python benchmarks/import_memory.py --sizes-mb 5 50

Not run by the tests: it takes minutes.
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

# The installed console script, from the same virtualenv as this Python.
COMMAND = [str(Path(sys.executable).parent / "comments-service")]
WORDS = [
    "comment", "thread", "reply", "article", "great", "point", "agree", "disagree",
    "thanks", "read", "later", "why", "because", "however", "café", "naïve", "日本",
    "ünïcode", "emoji", "🎉", "link", "code", "quote",
]


def message(rng: random.Random) -> str:
    """A Disqus-like HTML body: paragraphs, some markup, sometimes a link or a script."""
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 60)))
        paragraphs.append(f"<p>{words} <b>{rng.choice(WORDS)}</b></p>")
    if rng.random() < 0.2:
        paragraphs.append('<p><a href="https://example.org/x" target="_blank">a link</a></p>')
    if rng.random() < 0.05:
        paragraphs.append("<script>alert(1)</script>")
    return "".join(paragraphs)


def write_export(path: Path, size_bytes: int, seed: int = 7) -> int:
    """Write a Disqus export of about size_bytes; return the number of posts."""
    rng = random.Random(seed)
    posts = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        thread = 0
        while out.tell() < size_bytes:
            thread += 1
            out.write(
                f'<thread dsq:id="t{thread}"><id>article-{thread}</id>'
                f"<link>https://blog.example/{thread}/</link>"
                f"<title>Article {thread}</title>"
                "<createdAt>2015-01-01T00:00:00Z</createdAt></thread>\n"
            )
            in_thread: list[int] = []
            for _ in range(rng.randint(5, 200)):
                posts += 1
                parent = ""
                if in_thread and rng.random() < 0.6:
                    parent = f'<parent dsq:id="{rng.choice(in_thread[-20:])}"/>'
                minute = posts % 60
                out.write(
                    f'<post dsq:id="{posts}"><message><![CDATA[{message(rng)}]]></message>'
                    f"<createdAt>2016-0{1 + thread % 9}-1{posts % 10}T10:{minute:02d}:00Z"
                    "</createdAt>"
                    f"<isDeleted>{'true' if rng.random() < 0.02 else 'false'}</isDeleted>"
                    f"<isSpam>{'true' if rng.random() < 0.03 else 'false'}</isSpam>"
                    f"<author><email>u{posts % 5000}@example.org</email>"
                    f"<name>User {posts % 5000}</name></author>"
                    f"<ipAddress>198.51.100.{posts % 250}</ipAddress>"
                    f'<thread dsq:id="t{thread}"/>{parent}</post>\n'
                )
                in_thread.append(posts)
        out.write("</disqus>\n")
    return posts


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def run(arguments: list[str], env: dict[str, str]) -> None:
    subprocess.run([*COMMAND, *arguments], env=env, check=True, capture_output=True)


def measured_import(path: Path, site: str, env: dict[str, str]):
    """(seconds, sampled peak RSS KiB, kernel max RSS KiB from wait4, report line)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            [*COMMAND, "import", "disqus", str(path), "--site", site],
            env=env,
            stdout=log,
            stderr=subprocess.DEVNULL,
        )
        peak = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, rss_kib(child.pid))
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        log.seek(0)
        output = log.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"import failed ({child.returncode}): {output}")
    return seconds, peak, usage.ru_maxrss, output.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--work-dir", type=Path, default=None)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=options.work_dir, prefix="import-bench-") as folder:
        work = Path(folder)
        print(f"{'file':>9} {'posts':>8} {'written':>8} {'seconds':>8} "
              f"{'peak RSS (sampled)':>19} {'max RSS (wait4)':>16}")
        for size in options.sizes_mb:
            url = options.database_url or f"sqlite:///{work / f'bench-{size}.db'}"
            env = {
                **os.environ,
                "COMMENTS_DATABASE_URL": url,
                "COMMENTS_SECURITY_SECRET_KEY": "benchmark-secret",
                "COMMENTS_OBSERVABILITY_LOG_FORMAT": "text",
                "TMPDIR": str(work),
            }
            if options.database_url:
                from sqlalchemy import create_engine, text

                engine = create_engine(options.database_url)
                with engine.begin() as connection:
                    connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                engine.dispose()
            export = work / f"disqus-{size}mb.xml"
            posts = write_export(export, size * 1024 * 1024)
            run(["migrate"], env)
            run(["create-site", "bench"], env)
            seconds, peak, max_rss, report = measured_import(export, "bench", env)
            written = report.split()[1]
            print(f"{export.stat().st_size / 2**20:7.0f}MB {posts:>8} {written:>8} "
                  f"{seconds:>8.0f} {peak / 1024:>16.0f} MB {max_rss / 1024:>13.0f} MB",
                  flush=True)
            print(f"          {report}", flush=True)
            export.unlink()


if __name__ == "__main__":
    main()
