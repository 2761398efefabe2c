"""Prometheus metrics: requests, latency, comments, rate-limit hits.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (the shipped
gunicorn config does) so every worker's numbers are summed at /metrics.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

REQUESTS = Counter(
    "comments_http_requests_total",
    "HTTP requests by route and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "comments_http_request_seconds",
    "HTTP request latency by route",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
COMMENTS_CREATED = Counter("comments_created_total", "Comments stored", ["status"])
# Thread pages sent with a body: "cached" (built earlier by this process) or "built".
# Their ratio tells whether threads.page_cache_bytes is large enough.
THREAD_PAGES = Counter("comments_thread_pages_total", "Thread pages sent, by how they were made",
                       ["made"])
RATE_LIMITED = Counter("comments_rate_limited_total", "Requests refused with 429", ["route"])
NOTIFICATIONS_SENT = Counter(
    "comments_notifications_sent_total", "Outbox messages delivered", ["kind"]
)
NOTIFICATIONS_FAILED = Counter(
    "comments_notifications_failed_total", "Outbox delivery tries that failed", ["kind"]
)
# Read from the outbox table when /metrics is scraped: the same for every process.
OUTBOX_MESSAGES = Gauge(
    "comments_outbox_messages", "Outbox messages by status (pending, sent, dead, cancelled)",
    ["status"], multiprocess_mode="mostrecent",
)

def _route() -> str:
    # The endpoint name, not the raw path: bounded label cardinality.
    return request.endpoint or "unmatched"


def install_metrics(app: Flask) -> None:
    """Time and count every request."""

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        observe(_route(), request.method, response.status_code, g.get("metrics_started"))
        return response


def observe(route: str, method: str, status: int, started: float | None) -> None:
    """Count one answered request and its latency since ``started`` (perf_counter)."""
    if started is not None:
        LATENCY.labels(route).observe(time.perf_counter() - started)
    REQUESTS.labels(route, method, str(status)).inc()
    if status == 429:
        RATE_LIMITED.labels(route).inc()


def exposition() -> Response:
    """The metrics text, summed over all worker processes in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
