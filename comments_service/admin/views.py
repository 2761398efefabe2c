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
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from comments_service import languages
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
from comments_service.translation import current_language

HISTORY_LIMIT = 50


def _done_one(action: CommentAction, comment_id: int) -> str:
    """The flash for one comment moderated, in the moderator's language."""
    done = {
        CommentAction.APPROVE: _("Comment #%(id)s approved.", id=comment_id),
        CommentAction.HIDE: _("Comment #%(id)s hidden.", id=comment_id),
        CommentAction.RESTORE: _("Comment #%(id)s restored.", id=comment_id),
        CommentAction.DELETE: _("Comment #%(id)s deleted.", id=comment_id),
        CommentAction.PURGE: _("Comment #%(id)s purged.", id=comment_id),
        CommentAction.PIN: _("Comment #%(id)s pinned.", id=comment_id),
        CommentAction.UNPIN: _("Comment #%(id)s unpinned.", id=comment_id),
    }
    return done[action]


def _done_many(action: CommentAction, count: int) -> str:
    """The flash for a bulk action, with the count's plural form (CLDR rules)."""
    n = count
    done = {
        CommentAction.APPROVE: ngettext("%(num)s comment approved.",
                                        "%(num)s comments approved.", n),
        CommentAction.HIDE: ngettext("%(num)s comment hidden.", "%(num)s comments hidden.", n),
        CommentAction.RESTORE: ngettext("%(num)s comment restored.",
                                        "%(num)s comments restored.", n),
        CommentAction.DELETE: ngettext("%(num)s comment deleted.",
                                       "%(num)s comments deleted.", n),
        CommentAction.PURGE: ngettext("%(num)s comment purged.", "%(num)s comments purged.", n),
        CommentAction.PIN: ngettext("%(num)s comment pinned.", "%(num)s comments pinned.", n),
        CommentAction.UNPIN: ngettext("%(num)s comment unpinned.",
                                      "%(num)s comments unpinned.", n),
    }
    return done[action]


def _thread_done(action: ThreadAction) -> str:
    done = {
        ThreadAction.LOCK: _("Thread locked: new comments are refused."),
        ThreadAction.UNLOCK: _("Thread unlocked."),
        ThreadAction.PREMODERATE: _("New comments on this thread now wait for approval."),
        ThreadAction.UNPREMODERATE: _("New comments on this thread are shown at once again."),
    }
    return done[action]


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
        raise BadRequest(_("Not a comment id."))
    return found


@admin.app_template_filter("admin_when")
def format_when(value: datetime | None) -> str:
    """A date and time in the moderator's language (CLDR's long date, short time, UTC)."""
    return languages.format_when(value, current_language()) if value else ""


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
            flash(_("That email and password do not match an active moderator."), "error")
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
    flash(_("Signed out."), "info")
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
    name, _sep, ident = value.partition(":")
    try:
        action = CommentAction(name)
    except ValueError:
        raise BadRequest(_("Unknown action.")) from None
    comment_id = _int(ident)
    result = moderation.moderate_comment(
        db.session, actor, comment_id, action, note, _settings().moderation, _now(),
        context.events(),
    )
    db.session.commit()
    flash(_done_one(action, result.comment_id), "success")


def _apply_bulk(actor: Actor, name: str, ids: list[str], note: str | None) -> None:
    try:
        action = CommentAction(name)
    except ValueError:
        raise BadRequest(_("Choose an action for the selected comments.")) from None
    outcomes = moderation.moderate_many(
        db.session, actor, [_int(i) for i in ids], action, note, _settings().moderation,
        _now(), context.events(),
    )
    db.session.commit()
    done = [o for o in outcomes if o.ok]
    skipped = [o for o in outcomes if not o.ok]
    if done:
        flash(_done_many(action, len(done)), "success")
    for outcome in skipped:
        flash(_("Comment #%(id)s skipped: %(reason)s", id=outcome.comment_id,
                reason=outcome.message), "error")


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
        flash(_("Tick the box to confirm: purging cannot be undone."), "error")
        return redirect(url_for(".comment_page", comment_id=comment_id))
    try:
        moderation.moderate_comment(db.session, actor, comment_id, CommentAction.PURGE,
                                    request.form.get("note") or None, _settings().moderation,
                                    _now(), context.events())
        db.session.commit()
        flash(_("Comment #%(id)s purged: its text, author and address are gone.",
                id=comment_id), "success")
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
        flash(_("Check the ban form."), "error")
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
        if ban.expires_at:
            flash(_("Author banned from %(site)s until %(until)s.", site=ban.site,
                    until=format_when(ban.expires_at)), "success")
        else:
            flash(_("Author banned from %(site)s until the ban is lifted.", site=ban.site),
                  "success")
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
            raise BadRequest(_("Unknown thread action.")) from None
        moderate_thread(db.session, actor, thread_id, action,
                                   request.form.get("note") or None, _settings().moderation,
                                   _now())
        db.session.commit()
        flash(_thread_done(action), "success")
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
        raise BadRequest(fields={name: _("Give a date as YYYY-MM-DD.")}) from None
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
        flash(_("Ban lifted."), "success")
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
        form.languages.data = " ".join(state.languages)
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
            flash(_("Give a name (200 characters at most) and a flag threshold from 0 to "
                    "1000."), "error")
            return redirect(url_for(".sites_page"))
        origins = tuple((form.origins.data or "").split()) if form.origins.raw_data else None
        changes = sites.SiteChanges(
            name=form.name.data if form.name.raw_data else None, origins=origins,
            premoderation=bool(form.premoderation.data),
            flag_threshold=form.flag_threshold.data, downvotes=bool(form.downvotes.data),
            languages=tuple((form.languages.data or "").replace(",", " ").split())
            if form.languages.raw_data else None,
            note=form.note.data or None,
        )
        sites.update_site(db.session, _actor(), site, changes, rules=_settings().moderation,
                          votes=_settings().votes, now=_now())
        db.session.commit()
        flash(_("Settings of %(site)s saved.", site=site_slug), "success")
    except ApiError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(url_for(".sites_page"))
