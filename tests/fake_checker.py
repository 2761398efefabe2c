"""A local Akismet-compatible comment-check server for tests (http.server on loopback)."""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


class FakeChecker:
    """A local comment-check server: records each form and answers with `answer`."""

    def __init__(self) -> None:
        self.answer = "false"
        self.forms: list[dict[str, str]] = []
        self.hold = threading.Event()  # set: answer at once; clear: stall until set
        self.hold.set()
        checker = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                checker.forms.append({k: v[0] for k, v in form.items()})
                checker.hold.wait(timeout=30)
                body = checker.answer.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        class QuietServer(HTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # an abandoned (timed-out) client's closed socket is expected

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/1.1/comment-check"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeChecker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)
