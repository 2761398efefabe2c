"""WSGI entry point for gunicorn and other servers: settings from config files and env."""

from comments_service import web
from comments_service.app import create_app

app = create_app()
web.prepare_widget(app)
