"""The admin's sign-in settings of a site (readers who sign in, issue 21).

The same rules as the moderation API (services/sign_in.py, one home): the ways in are
edited as JSON, secrets are write-only (a line ``way=secret`` sets one, ``way=`` removes
it, nothing ever shows them again; the page says where each secret comes from).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from comments_service.admin import admin
from comments_service.admin.forms import SignInForm
from comments_service.errors import ApiError, ValidationFailed
from comments_service.extensions import db
from comments_service.models import Site
from comments_service.services import sign_in, sites
from comments_service.services.moderators import Actor


def sign_in_form(site: Site) -> tuple[SignInForm, dict[str, Any]]:
    """The form, filled with the site's settings (never its secrets), and what applies."""
    view = sign_in.moderator_view(site, os.environ)
    form = SignInForm(prefix=f"sign-in-{site.slug}")
    form.mode.data = view["mode"]
    form.ways.data = json.dumps(
        [{k: w[k] for k in ("key", "kind", "label", "client_id", "issuer") if w[k]}
         for w in view["ways"]], indent=1)
    form.edit_window_seconds.data = view["edit_window_seconds"]
    return form, view


def _secrets(text: str) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep:
                raise ValidationFailed(fields={"secrets": _("Write each as way=secret.")})
            secrets[key.strip()] = value.strip()
    return secrets


def _ways(text: str) -> tuple[dict[str, Any], ...] | None:
    if not text.strip():
        return ()
    try:
        ways = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(fields={"ways": _("Not JSON: %(problem)s", problem=exc)}) from exc
    if not isinstance(ways, list) or not all(isinstance(w, dict) for w in ways):
        raise ValidationFailed(fields={"ways": _("Give a JSON list of objects.")})
    return tuple(ways)


@admin.post("/sites/<site_slug>/sign-in")
@login_required
def update_sign_in(site_slug: str) -> Response:
    try:
        site = sites.get_site(db.session, site_slug)
        form = SignInForm(prefix=f"sign-in-{site.slug}")
        if not form.validate_on_submit():
            raise ValidationFailed(fields={"form": _("Choose a mode; the window is a number.")})
        changes = sign_in.SignInChanges(
            mode=form.mode.data, ways=_ways(form.ways.data or ""),
            edit_window_seconds=form.edit_window_seconds.data,
            secrets=_secrets(form.secrets.data or "") or None)
        actor: Actor = current_user.actor
        sign_in.configure(db.session, site, actor, changes, datetime.now(UTC))
        db.session.commit()
        flash(_("Sign-in settings of %(site)s saved.", site=site_slug), "success")
    except ApiError as error:
        db.session.rollback()
        details = "; ".join(f"{name}: {text}" for name, text in error.fields.items())
        flash(f"{error.message} {details}".strip(), "error")
    return redirect(url_for(".sites_page"))
