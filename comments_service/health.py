"""/healthz (the process answers), /readyz (its database and Redis answer), /metrics."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from comments_service.config import Settings
from comments_service.errors import NotFound
from comments_service.extensions import db
from comments_service.limits import limiter
from comments_service.metrics import OUTBOX_MESSAGES, exposition
from comments_service.services import outbox

log = logging.getLogger(__name__)
health = Blueprint("health", __name__)


def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


@health.get("/healthz")
@limiter.exempt
def healthz() -> Response:
    return jsonify({"status": "ok"})


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("readiness_database_failed", extra={"error_type": type(exc).__name__})
        return "unavailable"
    finally:
        db.session.rollback()
    return "ok"


def _check_limits_storage(uri: str) -> str:
    try:
        return "ok" if storage_from_string(uri).check() else "unavailable"
    except Exception as exc:  # noqa: BLE001 - any storage failure means not ready
        log.warning("readiness_storage_failed", extra={"error_type": type(exc).__name__})
        return "unavailable"


@health.get("/readyz")
@limiter.exempt
def readyz() -> tuple[Response, int]:
    settings = _settings()
    checks = {"database": _check_database()}
    if not settings.limits.storage_uri.startswith("memory://"):
        checks["limits_storage"] = _check_limits_storage(settings.limits.storage_uri)
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return jsonify(body), 200 if ready else 503


@health.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    settings = _settings().observability
    if not settings.metrics_enabled or request.remote_addr not in settings.metrics_allowed_clients:
        raise NotFound()
    try:
        counts = outbox.count_by_status(db.session)
    except SQLAlchemyError:
        counts = None  # the database's own health is /readyz's to report
    finally:
        db.session.rollback()
    if counts is not None:
        for status in ("pending", "sent", "dead", "cancelled"):
            OUTBOX_MESSAGES.labels(status).set(counts.get(status, 0))
    return exposition()
