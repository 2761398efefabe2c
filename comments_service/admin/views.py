"""The admin pages: sign in, the queue and its actions, a comment, bans, audit log, sites.

Thin, like the API views: parse the form or query, call a service, then
redirect (POST/redirect/GET) with a flashed message, or render a template.
Only the session signs in here (Flask-Login); bearer tokens are for the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from comments_service.admin import NAV_ITEMS, admin
from comments_service.admin.forms import BanForm, LoginForm, SiteSettingsForm
from comments_service.admin.sign_in_views import sign_in_form
from comments_service.api import context
from comments_service.api.parsing import args_as, query_args
from comments_service.auth import ModeratorUser
from comments_service.config import Settings, as_row_id
from comments_service.errors import ApiError, BadRequest
from comments_service.extensions import db
from comments_service.limits import limiter, login_limit
from comments_service.models import Site
from comments_service.schemas.moderation import AuditQuery, BansQuery, QueueQuery, SearchQuery
from comments_service.services import audit, bans, moderation, moderators, queue, search, sites
from comments_service.services.moderation import CommentAction
from comments_service.services.moderators import Actor
from comments_service.services.search import STATUSES
from comments_service.services.thread_moderation import ThreadAction, moderate_thread

DONE = {
    CommentAction.APPROVE: "approved",
    CommentAction.HIDE: "hidden",
    CommentAction.RESTORE: "restored",
    CommentAction.DELETE: "deleted",
    CommentAction.PURGE: "purged",
    CommentAction.PIN: "pinned",
    CommentAction.UNPIN: "unpinned",
}
THREAD_DONE = {
    ThreadAction.LOCK: "Thread locked: new comments are refused.",
    ThreadAction.UNLOCK: "Thread unlocked.",
    ThreadAction.PREMODERATE: "New comments on this thread now wait for approval.",
    ThreadAction.UNPREMODERATE: "New comments on this thread are shown at once again.",
}
HISTORY_LIMIT = 50


def _settings() -> Settings:
    return current_app.extensions["comments_settings"]


def _now() -> datetime:
    return datetime.now(UTC)


def _actor() -> Actor:
    return current_user.actor  # type: ignore[no-any-return]


def _safe_next(target: str | None, default: str) -> str:
    """Only paths inside the admin pages: never an open redirect."""
    if target and target.startswith("/admin/") and not target.startswith("//") \
            and "\\" not in target and "\n" not in target and "\r" not in target:
        return target
    return default


def _flash_error(error: ApiError) -> None:
    details = "; ".join(f"{name}: {text}" for name, text in error.fields.items())
    flash(f"{error.message} {details}".strip(), "error")


def _int(value: str | None) -> int:
    found = as_row_id(value) if value is not None else None
    if found is None:
        raise BadRequest("Not a comment id.")
    return found


@admin.app_template_filter("admin_when")
def format_when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


@admin.context_processor
def page_context() -> dict[str, Any]:
    context: dict[str, Any] = {"nav_items": NAV_ITEMS, "waiting": None, "moderator": None}
    if current_user.is_authenticated:
        actor = _actor()
        context["moderator"] = actor.name
        context["waiting"] = queue.pending_count(db.session, actor.site_ids)
    return context


# ---- signing in -----------------------------------------------------------------


@admin.get("/")
def index() -> Response:
    return redirect(url_for(".queue_page"))


@admin.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Response | str:
    target = _safe_next(request.args.get("next"), url_for(".queue_page"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        actor = moderators.authenticate_password(
            db.session, form.email.data or "", form.password.data or "",
            _settings().moderation, _now(),
        )
        if actor is None:
            db.session.rollback()
            flash("That email and password do not match an active moderator.", "error")
        else:
            db.session.commit()
            session.clear()  # a fresh session at sign-in: no fixation
            login_user(ModeratorUser(actor))
            session.permanent = True
            return redirect(target)
    return render_template("admin/login.html", form=form)


@admin.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for(".login"))


# ---- the queue ------------------------------------------------------------------


@admin.get("/queue")
@login_required
def queue_page() -> str:
    actor = _actor()
    query = query_args(QueueQuery)
    rules = _settings().moderation
    page = queue.read_queue(
        db.session, moderators.scope(db.session, actor, query.site), state=query.state,
        sort=query.sort, cursor=query.cursor,
        limit=min(query.limit or rules.queue_page_size, rules.max_page_size),
    )
    return render_template(
        "admin/queue.html",
        page=page,
        query=query,
        site_choices=moderators.site_slugs(db.session, actor),
        states=queue.QUEUE_STATES,
        bulk_actions=moderation.BULK_ACTIONS,
    )


def _apply_one(actor: Actor, value: str, note: str | None) -> None:
    name, _, ident = value.partition(":")
    try:
        action = CommentAction(name)
    except ValueError:
        raise BadRequest("Unknown action.") from None
    comment_id = _int(ident)
    result = moderation.moderate_comment(
        db.session, actor, comment_id, action, note, _settings().moderation, _now(),
        context.events(),
    )
    db.session.commit()
    flash(f"Comment #{result.comment_id} {DONE[action]}.", "success")


def _apply_bulk(actor: Actor, name: str, ids: list[str], note: str | None) -> None:
    try:
        action = CommentAction(name)
    except ValueError:
        raise BadRequest("Choose an action for the selected comments.") from None
    outcomes = moderation.moderate_many(
        db.session, actor, [_int(i) for i in ids], action, note, _settings().moderation,
        _now(), context.events(),
    )
    db.session.commit()
    done = [o for o in outcomes if o.ok]
    skipped = [o for o in outcomes if not o.ok]
    if done:
        flash(f"{len(done)} comment{'s' if len(done) != 1 else ''} {DONE[action]}.", "success")
    for outcome in skipped:
        flash(f"Comment #{outcome.comment_id} skipped: {outcome.message}", "error")


@admin.post("/queue")
@login_required
def queue_action() -> Response:
    """One action (a button on an item: one=ACTION:ID) or a bulk one (action + ids)."""
    actor = _actor()
    back = _safe_next(request.form.get("next"), url_for(".queue_page"))
    note = request.form.get("note") or None
    try:
        if request.form.get("one"):
            _apply_one(actor, request.form["one"], note)
        else:
            _apply_bulk(actor, request.form.get("action", ""), request.form.getlist("ids"),
                        note)
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(back)


# ---- one comment ----------------------------------------------------------------


@admin.get("/comments/<int:comment_id>")
@login_required
def comment_page(comment_id: int) -> str:
    actor = _actor()
    item = queue.read_item(db.session, actor, comment_id)
    history = audit.read_log(db.session, actor.site_ids, comment_id=comment_id,
                             limit=HISTORY_LIMIT)
    return render_template("admin/comment.html", item=item, history=history.entries,
                           ban_form=BanForm())


@admin.post("/comments/<int:comment_id>/purge")
@login_required
def purge_comment(comment_id: int) -> Response:
    actor = _actor()
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm: purging cannot be undone.", "error")
        return redirect(url_for(".comment_page", comment_id=comment_id))
    try:
        moderation.moderate_comment(db.session, actor, comment_id, CommentAction.PURGE,
                                    request.form.get("note") or None, _settings().moderation,
                                    _now(), context.events())
        db.session.commit()
        flash(f"Comment #{comment_id} purged: its text, author and address are gone.",
              "success")
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
        return redirect(url_for(".comment_page", comment_id=comment_id))
    return redirect(url_for(".queue_page"))


@admin.post("/comments/<int:comment_id>/ban")
@login_required
def ban_author(comment_id: int) -> Response:
    actor = _actor()
    form = BanForm()
    back = url_for(".comment_page", comment_id=comment_id)
    if not form.validate_on_submit():
        flash("Check the ban form.", "error")
        return redirect(back)
    try:
        ban = bans.ban_author(
            db.session, actor, comment_id, by_email=bool(form.by_email.data),
            by_address=bool(form.by_address.data),
            duration_seconds=int(form.duration.data) if form.duration.data else None,
            note=form.note.data or None, secret=current_app.config["SECRET_KEY"],
            rules=_settings().moderation, now=_now(),
        )
        db.session.commit()
        until = format_when(ban.expires_at) if ban.expires_at else "lifted"
        flash(f"Author banned from {ban.site} until {until}.", "success")
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(back)


@admin.post("/threads/<int:thread_id>")
@login_required
def thread_action(thread_id: int) -> Response:
    actor = _actor()
    back = _safe_next(request.form.get("next"), url_for(".queue_page"))
    try:
        try:
            action = ThreadAction(request.form.get("action", ""))
        except ValueError:
            raise BadRequest("Unknown thread action.") from None
        moderate_thread(db.session, actor, thread_id, action,
                                   request.form.get("note") or None, _settings().moderation,
                                   _now())
        db.session.commit()
        flash(THREAD_DONE[action], "success")
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(back)


# ---- search ----------------------------------------------------------------------

SEARCH_FIELDS = ("site", "text", "author", "article", "status", "since", "until")


def _day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A date input (YYYY-MM-DD) as the start of that day in UTC (of the next, for an end)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(fields={name: "Give a date as YYYY-MM-DD."}) from None
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=UTC)


@admin.get("/search")
@login_required
def search_page() -> str:
    actor = _actor()
    form = {name: request.args.get(name) or "" for name in SEARCH_FIELDS}
    dates = {"since": _day(form["since"], "since"), "until": _day(form["until"], "until",
                                                                  end=True)}
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True)
                      if v and k not in ("since", "until")])
    query = args_as(SearchQuery, args).model_copy(update=dates)
    rules = _settings().moderation
    page = search.search_comments(
        db.session, moderators.scope(db.session, actor, query.site), query.search(),
        cursor=query.cursor, limit=min(query.limit or rules.queue_page_size, rules.max_page_size),
    )
    return render_template("admin/search.html", page=page, form=form, statuses=STATUSES,
                           site_choices=moderators.site_slugs(db.session, actor))


# ---- bans, audit log, sites -----------------------------------------------------


@admin.get("/bans")
@login_required
def bans_page() -> str:
    actor = _actor()
    query = query_args(BansQuery)
    found = bans.list_bans(db.session, moderators.scope(db.session, actor, query.site), _now(),
                           limit=_settings().moderation.max_page_size)
    return render_template("admin/bans.html", bans=found)


@admin.post("/bans/<int:ban_id>/lift")
@login_required
def lift_ban(ban_id: int) -> Response:
    try:
        bans.lift_ban(db.session, _actor(), ban_id, request.form.get("note") or None,
                      _settings().moderation, _now())
        db.session.commit()
        flash("Ban lifted.", "success")
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(url_for(".bans_page"))


@admin.get("/audit")
@login_required
def audit_page() -> str:
    actor = _actor()
    query = query_args(AuditQuery)
    rules = _settings().moderation
    page = audit.read_log(
        db.session, moderators.scope(db.session, actor, query.site), comment_id=query.comment_id,
        cursor=query.cursor,
        limit=min(query.limit or rules.audit_page_size, rules.max_page_size),
    )
    return render_template("admin/audit.html", page=page, query=query)


def _site_form(site: Site, state: moderation.SiteModeration | None = None) -> SiteSettingsForm:
    form = SiteSettingsForm(prefix=f"site-{site.slug}")
    if state is not None and request.method == "GET":
        form.name.data = site.name
        form.origins.data = "\n".join(site.allowed_origins or [])
        form.premoderation.data = state.premoderation
        form.flag_threshold.data = state.flag_threshold
        # votes: what applies now, the service's default unless the site chose.
        form.downvotes.data = (_settings().votes.downvotes if state.downvotes is None
                               else state.downvotes)
    return form


@admin.get("/sites")
@login_required
def sites_page() -> str:
    actor = _actor()
    rules = _settings().moderation
    rows = []
    for site in db.session.execute(
        select(Site).where(Site.id.in_(actor.site_ids)).order_by(Site.slug)
    ).scalars():
        state = moderation.site_moderation(site, rules)
        rows.append((site, state, _site_form(site, state), *sign_in_form(site)))
    return render_template("admin/sites.html", rows=rows)


@admin.post("/sites/<site_slug>")
@login_required
def update_site(site_slug: str) -> Response:
    try:
        site = sites.get_site(db.session, site_slug)
        form = _site_form(site)
        if not form.validate_on_submit():
            flash("Give a name (200 characters at most) and a flag threshold from 0 to "
                  "1000.", "error")
            return redirect(url_for(".sites_page"))
        origins = tuple((form.origins.data or "").split()) if form.origins.raw_data else None
        changes = sites.SiteChanges(
            name=form.name.data if form.name.raw_data else None, origins=origins,
            premoderation=bool(form.premoderation.data),
            flag_threshold=form.flag_threshold.data, downvotes=bool(form.downvotes.data),
            note=form.note.data or None,
        )
        sites.update_site(db.session, _actor(), site, changes, rules=_settings().moderation,
                          votes=_settings().votes, now=_now())
        db.session.commit()
        flash(f"Settings of {site_slug} saved.", "success")
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(url_for(".sites_page"))
