"""`comments-service moderator ...`: moderator accounts, their passwords and API tokens."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from comments_service.cli import _app, _fail, main
from comments_service.config import Settings
from comments_service.errors import ValidationFailed
from comments_service.extensions import db
from comments_service.services import moderators


def _read_password(password_stdin: bool, settings: Settings) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < settings.moderation.min_password_chars:
        raise click.ClickException(
            f"use at least {settings.moderation.min_password_chars} characters"
        )
    return password


@main.group()
def moderator() -> None:
    """Moderator accounts: add, list, set a password, mint or revoke API tokens."""


@moderator.command("add")
@click.argument("email")
@click.option("--site", "site_slugs", multiple=True, required=True,
              help="A site this moderator may moderate (repeatable).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def moderator_add(email: str, site_slugs: tuple[str, ...], password_stdin: bool) -> None:
    """Add a moderator of one or more sites (asks for a password)."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    password = _read_password(password_stdin, settings)
    with app.app_context():
        try:
            added = moderators.create_moderator(
                db.session, email, password, list(site_slugs), settings.moderation,
                datetime.now(UTC),
            )
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo(f"moderator {added.email} added for {', '.join(site_slugs)}")


@moderator.command("list")
def moderator_list() -> None:
    """List moderators and their sites."""
    app = _app()
    with app.app_context():
        for summary in moderators.list_moderators(db.session):
            state = "" if summary.is_active else "\tinactive"
            click.echo(f"{summary.email}\t{' '.join(summary.site_slugs)}{state}")


@moderator.command("passwd")
@click.argument("email")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def moderator_passwd(email: str, password_stdin: bool) -> None:
    """Set a moderator's password."""
    app = _app()
    settings: Settings = app.extensions["comments_settings"]
    password = _read_password(password_stdin, settings)
    with app.app_context():
        try:
            moderators.set_password(db.session, email, password, settings.moderation)
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo("password changed")


@moderator.command("token")
@click.argument("email")
def moderator_token(email: str) -> None:
    """Mint an API token (Authorization: Bearer ...). It is shown once, stored hashed."""
    app = _app()
    with app.app_context():
        try:
            token = moderators.mint_token(db.session, email, datetime.now(UTC))
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo(token)


@moderator.command("revoke-tokens")
@click.argument("email")
def moderator_revoke_tokens(email: str) -> None:
    """Revoke every API token of a moderator."""
    app = _app()
    with app.app_context():
        try:
            count = moderators.revoke_tokens(db.session, email)
        except ValidationFailed as exc:
            raise _fail(exc) from exc
        db.session.commit()
        click.echo(f"{count} token{'s' if count != 1 else ''} revoked")
