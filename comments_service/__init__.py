"""comments_service: threaded comments for any article page, embedded with one snippet."""

from comments_service.app import create_app

__all__ = ["create_app"]
