"""The admin pages' forms (Flask-WTF: each carries and checks its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from comments_service.config import MAX_FLAG_THRESHOLD

BAN_DURATIONS = [
    SelectChoice("", _l("Until lifted")),
    SelectChoice("3600", _l("1 hour")),
    SelectChoice("86400", _l("1 day")),
    SelectChoice("604800", _l("7 days")),
    SelectChoice("2592000", _l("30 days")),
]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class BanForm(FlaskForm):
    by_email = BooleanField(_l("Their email address"))
    by_address = BooleanField(_l("Their network (hashed address)"))
    # TRANSLATORS: the label of a ban's duration ("For: 1 day").
    duration = SelectField(_l("For"), choices=BAN_DURATIONS, default="")
    note = TextAreaField(_l("Note (kept in the audit log)"), validators=[Optional()])


class SiteSettingsForm(FlaskForm):
    # Name and origins: a form without the field leaves it as it is.
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    origins = TextAreaField(_l("Allowed origins, one per line (https://blog.example)"),
                            validators=[Optional()])
    premoderation = BooleanField(_l("Hold every new comment for approval"))
    flag_threshold = IntegerField(
        _l("Hide a comment after this many readers flag it (0: never)"),
        validators=[NumberRange(min=0, max=MAX_FLAG_THRESHOLD)],
    )
    downvotes = BooleanField(_l("Take down votes on comments, not only up votes"))
    languages = StringField(
        _l("Languages the widget offers readers: codes separated by spaces, such as "
           "“de fr en” (empty: every language)"),
        validators=[Optional(), Length(max=400)],
    )
    note = TextAreaField(_l("Note (kept in the audit log)"), validators=[Optional()])


class SignInForm(FlaskForm):
    """Readers who sign in (issue 21): services/sign_in.py checks every field."""

    mode = SelectField(_l("Readers"), choices=[
        # TRANSLATORS: the choices complete "Readers: ...".
        SelectChoice("anonymous", _l("post without signing in (no sign-in offered)")),
        SelectChoice("offered", _l("may sign in, or post without")),
        SelectChoice("required", _l("must sign in to post")),
    ])
    ways = TextAreaField(_l("Ways in, as JSON: %(example)s",
                            example='[{"key": "github", "kind": "github", "label": "GitHub", '
                                    '"client_id": "..."}, ...]'),
                         validators=[Optional()])
    edit_window_seconds = IntegerField(_l("Signed-in readers may edit their comments for "
                                          "(seconds; empty: the service's default)"),
                                       validators=[Optional()])
    secrets = TextAreaField(_l("Set secrets, one per line: way=secret (way= removes one). "
                               "Never shown again."), validators=[Optional()])
