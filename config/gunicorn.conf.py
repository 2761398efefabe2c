"""gunicorn settings for production.

    gunicorn -c config/gunicorn.conf.py 'comments_service.wsgi:app'

Workers share nothing but PostgreSQL and Redis. Prometheus metrics from all
workers are summed through PROMETHEUS_MULTIPROC_DIR.
"""

import os
import tempfile

from prometheus_client import multiprocess

bind = os.environ.get("COMMENTS_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("COMMENTS_WORKERS", "4"))
threads = int(os.environ.get("COMMENTS_THREADS", "4"))
# The app sizes its live-stream cap ([live] max_streams_per_process = 0: half the
# threads) from [server] threads; tell it how many threads gunicorn really runs.
os.environ.setdefault("COMMENTS_SERVER_THREADS", str(threads))
worker_class = "gthread"
# Requests are short; a stuck one is a bug, not a reason to wait a minute.
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# gunicorn's own ceiling (1 MiB) for the request line: the app's [server]
# max_url_bytes answers over-long URLs first, with the JSON error shape.
limit_request_line = 0
forwarded_allow_ips = os.environ.get("COMMENTS_FORWARDED_ALLOW_IPS", "127.0.0.1")

os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="comments-prometheus-")
)


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    multiprocess.mark_process_dead(worker.pid)
