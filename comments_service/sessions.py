"""Flask's signed-cookie session, with no work for the requests that carry no session.

Only the admin pages use a session (Flask-Login, Flask-WTF's CSRF token); the public
API never does. Flask's own interface builds its itsdangerous serializer on every
request before it even looks for the cookie, and works out the cookie's attributes
on every response (profiled: ~4% of a revalidated thread page). This one skips both
when there is no cookie and nothing was put in the session; otherwise it is Flask's.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def install(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
