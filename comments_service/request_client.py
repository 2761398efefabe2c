"""The requesting client's address, read from Flask's request (views and limits only).

Services never read it themselves: a view passes the address (or its keyed hash,
clients.py) down, so the rules run the same from the CLI, importers and tests.
"""

from __future__ import annotations

from flask import request


def client_address() -> str:
    """The requesting client's address as Flask sees it (after ProxyFix, if configured)."""
    return request.remote_addr or "0.0.0.0"  # noqa: S104 - a placeholder, never bound
