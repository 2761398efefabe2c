"""Live-update metrics (issue 19): open streams, events fanned out, and the time from a
comment's commit to the last of a process's streams having written it.

Apart from comments_service/metrics.py so that the broker and the slots (reached from
services/live.py) need only prometheus_client, not Flask's request globals. Registered
in the default registry, so /metrics shows them beside the rest.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Summed over a host's processes in multiprocess mode.
LIVE_STREAMS = Gauge(
    "comments_live_streams", "Live streams and long polls open now",
    multiprocess_mode="livesum",
)
LIVE_EVENTS_FANNED_OUT = Counter(
    "comments_live_events_fanned_out_total",
    "New-comment events handed to open streams (one per event and stream)",
)
LIVE_DELIVERY_SECONDS = Histogram(
    "comments_live_delivery_seconds",
    "From the commit that published an event to the last of this process's streams "
    "following its thread having written it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
