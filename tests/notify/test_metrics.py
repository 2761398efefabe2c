"""metrics.py for the outbox: sends, failures and the outbox by status reach /metrics."""

from __future__ import annotations

import re

from tests.notify.conftest import make_worker

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def _sample(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{labels}\}} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_sent_failed_and_outbox_gauges_follow_delivery(notify_app, site_factory, smtp_server):
    app = notify_app()
    api = site_factory(app)
    before = api.client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    sent_before = _sample(before, "comments_notifications_sent_total", 'kind="confirm"')
    api.posted_id("notify me", author_email="ann@example.org", notify="replies")

    queued = api.client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    assert _sample(queued, "comments_outbox_messages", 'status="pending"') == 1

    make_worker(app).run_until_idle()
    after = api.client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    assert _sample(after, "comments_outbox_messages", 'status="pending"') == 0
    assert _sample(after, "comments_outbox_messages", 'status="sent"') == 1
    assert _sample(after, "comments_notifications_sent_total", 'kind="confirm"') == (
        sent_before + 1)


def test_a_failed_try_is_counted(notify_app, site_factory, smtp_port):
    app = notify_app()  # nothing listens on smtp_port: every try fails
    api = site_factory(app)
    text = api.client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    failed_before = _sample(text, "comments_notifications_failed_total", 'kind="confirm"')
    api.posted_id("notify me", author_email="bob@example.org", notify="replies")
    make_worker(app).run_once()
    text = api.client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    assert _sample(text, "comments_notifications_failed_total", 'kind="confirm"') == (
        failed_before + 1)
