"""gunicorn settings for production.

    gunicorn -c config/gunicorn.conf.py 'comments_service.wsgi:app'

Workers share nothing but PostgreSQL and Redis. Prometheus metrics from all
workers are summed through PROMETHEUS_MULTIPROC_DIR.

Each worker is a gevent worker (COMMENTS_SERVER_WORKER_CLASS=gthread for threads):
every request and every live stream is a greenlet, so a worker holds thousands of
idle streams. Nothing here imports the app: gunicorn patches the standard library
for gevent in each worker before the worker loads the app, and anything the app
made in this (the master) process first would stay unpatched.
"""

import os
import resource
import tempfile

from prometheus_client import multiprocess

bind = os.environ.get("COMMENTS_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("COMMENTS_WORKERS", "4"))
threads = int(os.environ.get("COMMENTS_THREADS", "4"))
worker_class = os.environ.get("COMMENTS_SERVER_WORKER_CLASS", "gevent")
# The app sizes its live-stream cap ([live] max_streams_per_process = 0) from the
# worker class (gthread: half the threads); tell it what gunicorn really runs.
os.environ.setdefault("COMMENTS_SERVER_THREADS", str(threads))
os.environ.setdefault("COMMENTS_SERVER_WORKER_CLASS", worker_class)
# gevent: connections one worker holds at once, live streams included. The app's
# stream cap (at most 20,000, fewer when `ulimit -n` is lower) answers 503 first.
worker_connections = int(os.environ.get("COMMENTS_WORKER_CONNECTIONS", "21000"))
# Each stream is a socket: the soft open-files limit up to the hard one, for the
# workers this process forks.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _soft != _hard:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))
    except (ValueError, OSError):  # an unlimited hard limit the kernel refuses: keep soft
        pass
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
