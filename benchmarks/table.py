"""From the measurements of every round to one table, its JSON, and RESULTS.md.

A round holds, per system ("ceiling", "ours-sqlite", "ours-postgresql", "isso"), per
measurement key ("page-1000", "post-reply", "rss", ...), a dict of figures ("rps",
"p50_ms", "p99_ms", "mib", ...) plus "mode" and "note". Each row of the table compares
one figure of ours with one figure of a baseline: the ratio is computed inside each
round, then the median and the spread (min-max) over rounds are shown, for the figures
and for the ratio alike. A target, where the issue sets one, is judged on the median
ratio.
"""

from __future__ import annotations

import json
import operator
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Round = Mapping[str, Mapping[str, Mapping[str, Any]]]

BEGIN = "<!-- bench:begin (written by make bench; edit outside these markers) -->"
END = "<!-- bench:end -->"

_COMPARE: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le,
                                                        "<": operator.lt}


@dataclass(frozen=True)
class Target:
    op: str  # ">=", "<=" or "<"
    value: float
    text: str

    def met(self, ratio: float) -> bool:
        return _COMPARE[self.op](ratio, self.value)


@dataclass(frozen=True)
class RowSpec:
    section: str
    label: str
    unit: str
    ours: tuple[str, str, str]  # system, key, figure
    base: tuple[str, str, str] | None
    base_label: str
    target: Target | None = None


@dataclass
class Row:
    section: str
    label: str
    unit: str
    ours: list[float | None]
    base: list[float | None]
    base_label: str
    ratios: list[float | None]
    notes: list[str]
    target: Target | None

    @property
    def ratio(self) -> float | None:
        return _median(self.ratios)

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        if self.target is None or ratio is None:
            return None
        return self.target.met(ratio)

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section, "label": self.label, "unit": self.unit,
            "ours": self.ours, "ours_median": _median(self.ours),
            "baseline": self.base_label, "base": self.base, "base_median": _median(self.base),
            "ratios": self.ratios, "ratio_median": self.ratio,
            "target": asdict(self.target) if self.target else None, "met": self.met,
            "notes": self.notes,
        }


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _figure(round_: Round, where: tuple[str, str, str]) -> tuple[float | None, str]:
    system, key, figure = where
    entry = round_.get(system, {}).get(key)
    if entry is None:
        return None, ""
    note = entry.get("note", "") or ""
    if entry.get("mode") == "single" and "single" not in note:
        note = f"single requests; {note}" if note else "single requests"
    value = entry.get(figure)
    return (float(value) if value is not None else None), note


def build_rows(rounds: Sequence[Round], specs: Sequence[RowSpec]) -> list[Row]:
    rows = []
    for spec in specs:
        ours, base, ratios, notes = [], [], [], []
        for round_ in rounds:
            value, note_ours = _figure(round_, spec.ours)
            other, note_base = (_figure(round_, spec.base) if spec.base else (None, ""))
            ours.append(value)
            base.append(other)
            ratios.append(value / other if value is not None and other else None)
            for note in (note_ours and f"ours: {note_ours}", note_base and
                         f"{spec.base_label}: {note_base}"):
                if note and note not in notes:
                    notes.append(note)
        if all(v is None for v in ours) and all(v is None for v in base):
            continue
        rows.append(Row(spec.section, spec.label, spec.unit, ours, base, spec.base_label,
                        ratios, notes, spec.target))
    return rows


# ---- which rows ---------------------------------------------------------------


def row_specs(sizes: Sequence[int], backends: Sequence[str],
              import_comments: int = 32_000) -> list[RowSpec]:
    """Every row, for the thread sizes measured and each of our backends."""
    specs: list[RowSpec] = []
    middle = sizes[len(sizes) // 2]
    smallest, largest = sizes[0], sizes[-1]
    for backend in backends:
        ours = f"ours-{backend}"
        section = f"comments_service on {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}"
        for n in sizes:
            at = f"thread page, {n:,} comments"
            target_rps = Target(">=", 25, "≥25x Isso") if n == middle else None
            target_p99 = Target("<=", 0.1, "≤1/10 of Isso") if n == middle else None
            specs += [
                RowSpec(section, f"{at}: req/s", "req/s", (ours, f"page-{n}", "rps"),
                        ("isso", f"page-{n}", "rps"), "Isso, paged", target_rps),
                RowSpec(section, f"{at}: p50 under load", "ms", (ours, f"page-{n}", "p50_ms"),
                        ("isso", f"page-{n}", "p50_ms"), "Isso, paged"),
                RowSpec(section, f"{at}: p99 under load", "ms", (ours, f"page-{n}", "p99_ms"),
                        ("isso", f"page-{n}", "p99_ms"), "Isso, paged"),
                RowSpec(section, f"{at}: p50 one request at a time", "ms",
                        (ours, f"seq-{n}", "p50_ms"), ("isso", f"seq-{n}", "p50_ms"),
                        "Isso, paged"),
                RowSpec(section, f"{at}: p99 one request at a time", "ms",
                        (ours, f"seq-{n}", "p99_ms"), ("isso", f"seq-{n}", "p99_ms"),
                        "Isso, paged", target_p99),
                RowSpec(section, f"{at}: req/s vs whole thread", "req/s",
                        (ours, f"page-{n}", "rps"), ("isso", f"whole-{n}", "rps"),
                        "Isso, whole thread"),
            ]
        specs += [
            RowSpec(section, f"thread page, {largest:,} vs {smallest:,} comments: p50 one "
                    "request at a time", "ms", (ours, f"seq-{largest}", "p50_ms"),
                    (ours, f"seq-{smallest}", "p50_ms"), f"ours at {smallest:,}",
                    Target("<=", 1.3, "≤1.3x our p50 at 10")),
            RowSpec(section, f"thread page, {largest:,} vs {smallest:,} comments: p50 under load",
                    "ms", (ours, f"page-{largest}", "p50_ms"),
                    (ours, f"page-{smallest}", "p50_ms"), f"ours at {smallest:,}"),
            RowSpec(section, f"thread page, {largest:,} vs {middle:,} comments (both full "
                    "pages): p50 one request at a time", "ms", (ours, f"seq-{largest}", "p50_ms"),
                    (ours, f"seq-{middle}", "p50_ms"), f"ours at {middle:,}"),
            RowSpec(section, f"thread page, {middle:,} comments, not revalidated (page cache "
                    "on): req/s", "req/s", (ours, f"page-{middle}", "rps"),
                    ("ceiling", "hello", "rps"),
                    "Flask ceiling", Target(">=", 0.35, "≥35% of ceiling")),
            # The same pages with the page cache off: each built for every request.
            RowSpec(section, f"thread page, {middle:,} comments, built for every request "
                    "(page cache off): req/s", "req/s", (ours, f"built-page-{middle}", "rps"),
                    ("ceiling", "hello", "rps"), "Flask ceiling"),
            RowSpec(section, f"thread page, {middle:,} comments, built for every request: "
                    "req/s vs Isso", "req/s", (ours, f"built-page-{middle}", "rps"),
                    ("isso", f"page-{middle}", "rps"), "Isso, paged"),
            RowSpec(section, f"thread page, {middle:,} comments, built for every request: "
                    "p99 one request at a time", "ms", (ours, f"built-seq-{middle}", "p99_ms"),
                    ("isso", f"seq-{middle}", "p99_ms"), "Isso, paged"),
            RowSpec(section, f"thread page, {largest:,} vs {smallest:,} comments, built for "
                    "every request: p50 one request at a time", "ms",
                    (ours, f"built-seq-{largest}", "p50_ms"),
                    (ours, f"built-seq-{smallest}", "p50_ms"), f"ours at {smallest:,}, built"),
            RowSpec(section, f"thread page, {largest:,} vs {middle:,} comments (both full "
                    "pages), built for every request: p50 one request at a time", "ms",
                    (ours, f"built-seq-{largest}", "p50_ms"),
                    (ours, f"built-seq-{middle}", "p50_ms"), f"ours at {middle:,}, built"),
        ]
        specs += [
            RowSpec(section, f"thread page, {middle:,} comments, {name} accepted: req/s",
                    "req/s", (ours, f"page-middle-{encoding}", "rps"),
                    (ours, f"page-{middle}", "rps"), "ours, uncompressed",
                    Target(">=", 0.9, "≥90% of uncompressed"))
            for encoding, name in (("gzip", "gzip"), ("br", "Brotli"))
        ]
        for n in sizes:
            specs.append(RowSpec(
                section, f"thread page, {n:,} comments, revalidated (304): req/s", "req/s",
                (ours, f"revalidate-{n}", "rps"), ("ceiling", "hello", "rps"),
                "Flask ceiling", Target(">=", 0.70, "≥70% of ceiling") if n == middle else None,
            ))
        specs += [
            RowSpec(section, "counts, 50 articles: req/s", "req/s", (ours, "counts-50", "rps"),
                    ("isso", "counts-50", "rps"), "Isso", Target(">=", 10, "≥10x Isso")),
            RowSpec(section, "counts, 50 articles: p50", "ms", (ours, "counts-50", "p50_ms"),
                    ("isso", "counts-50", "p50_ms"), "Isso"),
            RowSpec(section, "counts, 1 article: req/s", "req/s", (ours, "counts-1", "rps"),
                    ("isso", "counts-1", "rps"), "Isso"),
            RowSpec(section, "counts, 50 vs 1 article: p50", "ms", (ours, "counts-50", "p50_ms"),
                    (ours, "counts-1", "p50_ms"), "ours, 1 article",
                    Target("<=", 2, "≤2x our 1-article latency")),
            RowSpec(section, "post a comment (every defence on): posts/s", "posts/s",
                    (ours, "post-comment", "rps"), ("isso", "post-comment", "rps"),
                    "Isso, guard off", Target(">=", 1.5, "≥1.5x Isso")),
            RowSpec(section, "post a reply (every defence on): posts/s", "posts/s",
                    (ours, "post-reply", "rps"), ("isso", "post-reply", "rps"),
                    "Isso, guard off", Target(">=", 1.5, "≥1.5x Isso")),
            RowSpec(section, "post a comment: p99", "ms", (ours, "post-comment", "p99_ms"),
                    ("isso", "post-comment", "p99_ms"), "Isso, guard off"),
            RowSpec(section, "resident memory per worker, after reads", "MiB",
                    (ours, "rss", "mib"), ("ceiling", "rss", "mib"), "Flask ceiling",
                    Target("<=", 2, "≤2x ceiling")),
            RowSpec(section, "resident memory per worker, after reads (vs Isso)", "MiB",
                    (ours, "rss", "mib"), ("isso", "rss", "mib"), "Isso",
                    Target("<", 1, "below Isso")),
        ]
        if backend == backends[0]:
            specs += _wire_specs(ours, middle)
            specs += [
                RowSpec("widget", "embed.js + CSS, gzipped", "bytes",
                        (ours, "widget", "gzip_bytes"), ("isso", "widget", "gzip_bytes"),
                        "Isso embed.min.js", Target("<=", 1, "≤ Isso's")),
                RowSpec("widget", "page load to first comment shown, 200-comment thread", "ms",
                        (ours, "widget", "first_comment_ms"),
                        ("isso", "widget", "first_comment_ms"), "Isso widget",
                        Target("<=", 0.5, "≤ half Isso's time")),
                RowSpec("widget", "the same on a German page (fetches its catalogue too)",
                        "ms", (ours, "widget", "first_comment_other_language_ms"),
                        (ours, "widget", "first_comment_ms"), "English page",
                        Target("<=", 1.1, "no worse than English (≤ +10%)")),
            ]
    specs.append(RowSpec("ceiling", "Flask ceiling, small JSON: req/s", "req/s",
                         ("ceiling", "hello", "rps"), None, ""))
    return specs + import_row_specs(backends, import_comments)


def import_row_specs(backends: Sequence[str], comments: int = 32_000) -> list[RowSpec]:
    """Issue 17: importing a WordPress export and re-importing it (benchmarks/import_speed.py),
    against the issue's bound of 15 s ("budget" in the measurements); target: at most half."""
    specs = []
    target = Target("<=", 0.5, "well under 15 s (≤ half)")
    for backend in backends:
        ours = f"ours-{backend}"
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        specs += [
            RowSpec("imports", f"import {comments:,} WordPress comments, {name}", "s",
                    (ours, "import-wordpress", "seconds"), ("budget", "import", "seconds"),
                    "bound of 15 s", target),
            RowSpec("imports", f"re-import them (all already present), {name}", "s",
                    (ours, "reimport-wordpress", "seconds"), ("budget", "import", "seconds"),
                    "bound of 15 s", target),
        ]
    return specs


def live_row_specs(readers: int) -> list[RowSpec]:
    """Issue 19: a crowd of live readers (benchmarks/live_crowd.py) against the issue's
    bounds ("live-targets") and against the same requests without the crowd."""
    section = "live updates"
    ours, bounds = "ours-live", "live-targets"
    at_most = Target("<=", 1, "within the bound")
    return [
        RowSpec(section, f"streams open of {readers:,} readers, embedded (`make run`)",
                "streams", (ours, "crowd", "opened"), (bounds, "crowd", "opened"),
                "all readers", Target(">=", 1, "all open, none refused")),
        RowSpec(section, "a post reaches every reader: p50 after its 201", "ms",
                (ours, "delivery", "p50_ms"), (bounds, "delivery", "p50_ms"), "bound 0.5 s",
                at_most),
        RowSpec(section, "a post reaches every reader: p99 after its 201", "ms",
                (ours, "delivery", "p99_ms"), (bounds, "delivery", "p99_ms"), "bound 2 s",
                at_most),
        RowSpec(section, "readers the post reached (fewest over the posts)", "readers",
                (ours, "delivery", "reached"), (bounds, "crowd", "opened"), "all readers",
                Target(">=", 1, "every open stream")),
        RowSpec(section, "thread page p50, crowd open vs not", "ms",
                (ours, "page-crowd", "p50_ms"), (ours, "page-idle", "p50_ms"),
                "ours, no crowd", Target("<=", 2, "≤2x without the crowd")),
        RowSpec(section, "post a comment p50, crowd open vs not", "ms",
                (ours, "post-crowd", "p50_ms"), (ours, "post-idle", "p50_ms"),
                "ours, no crowd", Target("<=", 2, "≤2x without the crowd")),
        RowSpec(section, "memory per open stream above the idle worker (RSS)", "KiB",
                (ours, "memory", "kib_per_stream"), (bounds, "memory", "kib_per_stream"),
                "bound 40 KiB", at_most),
        RowSpec(section, "scale-out, 2 instances (PostgreSQL + Redis): p99 after the 201",
                "ms", (ours, "delivery-scale", "p99_ms"), (bounds, "delivery", "p99_ms"),
                "bound 2 s", at_most),
        RowSpec(section, "scale-out: readers the post reached on both instances", "readers",
                (ours, "delivery-scale", "reached"), (ours, "crowd-scale", "opened"),
                "streams open", Target(">=", 1, "every open stream")),
    ]


def _wire_specs(ours: str, middle: int) -> list[RowSpec]:
    """Bytes on the wire: the widget's files and a page, plain, gzip and Brotli."""
    specs = []
    for name, label in (("widget", "embed.js + CSS"),
                        ("page", f"thread page, {middle:,} comments")):
        plain = (ours, f"wire-{name}-identity", "bytes")
        specs.append(RowSpec("bytes on the wire", f"{label}, uncompressed", "bytes", plain,
                             None, ""))
        specs += [RowSpec("bytes on the wire", f"{label}, {title}", "bytes",
                          (ours, f"wire-{name}-{encoding}", "bytes"), plain, "uncompressed")
                  for encoding, title in (("gzip", "gzip"), ("br", "Brotli"))]
    return specs


# ---- rendering ----------------------------------------------------------------


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "ms" and value < 10:
        return f"{value:.2f}"
    if abs(value) >= 100 or unit in ("bytes", "req/s", "posts/s"):
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _spread(values: Sequence[float | None], unit: str) -> str:
    present = [v for v in values if v is not None]
    median = _median(values)
    if median is None:
        return "—"
    if len(present) < 2:
        return _num(median, unit)
    return f"{_num(median, unit)} ({_num(min(present), unit)}-{_num(max(present), unit)})"


def _ratio(row: Row) -> str:
    present = [r for r in row.ratios if r is not None]
    if not present:
        return "—"
    median = statistics.median(present)

    def fmt(r: float) -> str:
        return f"{r:.2f}x" if r < 10 else f"{r:,.0f}x"

    if len(present) < 2:
        return fmt(median)
    return f"{fmt(median)} ({fmt(min(present))}-{fmt(max(present))})"


def _verdict(row: Row) -> str:
    if row.target is None:
        return ""
    met = row.met
    if met is None:
        return f"{row.target.text}: not measured"
    return f"{row.target.text}: {'met' if met else 'NOT met'}"


def _cells(row: Row) -> list[str]:
    base = (f"{row.base_label}: {_spread(row.base, row.unit)}" if row.base_label else "")
    return [row.label, f"{_spread(row.ours, row.unit)} {row.unit}".strip(), base,
            _ratio(row), _verdict(row)]


HEADER = ["row", "ours: median (min-max)", "baseline: median (min-max)",
          "ratio ours/baseline", "target"]


def render_text(rows: Sequence[Row]) -> str:
    """The table for a terminal: fixed-width columns, one section after another."""
    table = [HEADER] + [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    out = []
    section = None
    for row, cells in zip([None, *rows], table, strict=True):
        if row is not None and row.section != section:
            section = row.section
            out.append(f"-- {section} " + "-" * max(0, sum(widths) + 8 - len(section)))
        out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if row is not None and row.notes:
            out.append("    note: " + "; ".join(row.notes))
    return "\n".join(out)


def render_markdown(rows: Sequence[Row]) -> str:
    out = []
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            out += ["", f"**{section}**", "", "| " + " | ".join(HEADER) + " |",
                    "|" + "---|" * len(HEADER)]
        cells = _cells(row)
        if row.notes:
            cells[0] += " (" + "; ".join(row.notes) + ")"
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out).lstrip("\n")


def targets_summary(rows: Sequence[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.target is None:
            continue
        ratio = row.ratio
        verdict = "not measured" if ratio is None else ("met" if row.met else "NOT met")
        shown = "—" if ratio is None else f"{ratio:.3g}"
        lines.append(f"{row.section} · {row.label}: ratio {shown}, target {row.target.text}"
                     f" — {verdict}")
    return lines


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def refresh_results_md(path: Path, generated: str) -> None:
    """Replace the generated block of RESULTS.md, keeping what people wrote around it."""
    block = f"{BEGIN}\n{generated.rstrip()}\n{END}"
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            before, rest = text.split(BEGIN, 1)
            _, after = rest.split(END, 1)
            path.write_text(before + block + after)
            return
        path.write_text(text.rstrip() + "\n\n" + block + "\n")
        return
    path.write_text(f"# Benchmark results\n\n{block}\n")
