"""cli.py moderator commands: add (prompt or --password-stdin), list, passwd, token."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from comments_service.cli import main

PASSWORD = "correct horse battery staple"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite database for the command, as in tests/test_cli.py."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMENTS_DATABASE_URL", url)
    monkeypatch.setenv("COMMENTS_SECURITY_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("COMMENTS_MODERATION_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("COMMENTS_MODERATION_PASSWORD_MEMORY_KIB", "8")
    monkeypatch.setenv("COMMENTS_MODERATION_PASSWORD_PARALLELISM", "1")
    monkeypatch.chdir(tmp_path)
    return url


def scalar(url: str, sql: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def ready(runner: CliRunner) -> None:
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert runner.invoke(main, ["create-site", "blog"]).exit_code == 0
    assert runner.invoke(main, ["create-site", "news"]).exit_code == 0


def test_add_with_password_stdin_then_list(cli_env: str) -> None:
    runner = CliRunner()
    ready(runner)
    result = runner.invoke(main, ["moderator", "add", "Ed@Blog.Example", "--site", "blog",
                                  "--site", "news", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["moderator", "list"])
    assert "ed@blog.example\tblog news" in listed.output
    stored = scalar(cli_env, "SELECT password_hash FROM moderators")
    assert stored.startswith("$argon2id$")


def test_add_prompts_for_the_password_twice(cli_env: str) -> None:
    runner = CliRunner()
    ready(runner)
    result = runner.invoke(main, ["moderator", "add", "ed@blog.example", "--site", "blog"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


def test_add_refuses_a_short_password_an_unknown_site_and_a_duplicate(cli_env: str) -> None:
    runner = CliRunner()
    ready(runner)
    short = runner.invoke(main, ["moderator", "add", "ed@blog.example", "--site", "blog",
                                 "--password-stdin"], input="short\n")
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    unknown = runner.invoke(main, ["moderator", "add", "ed@blog.example", "--site", "nope",
                                   "--password-stdin"], input=PASSWORD + "\n")
    assert unknown.exit_code != 0
    assert "no such site: nope" in unknown.output
    args = ["moderator", "add", "ed@blog.example", "--site", "blog", "--password-stdin"]
    assert runner.invoke(main, args, input=PASSWORD + "\n").exit_code == 0
    again = runner.invoke(main, args, input=PASSWORD + "\n")
    assert again.exit_code != 0
    assert "exists" in again.output


def test_token_mints_a_working_bearer_token_stored_hashed(cli_env: str) -> None:
    from comments_service import create_app

    runner = CliRunner()
    ready(runner)
    runner.invoke(main, ["moderator", "add", "ed@blog.example", "--site", "blog",
                         "--password-stdin"], input=PASSWORD + "\n")
    result = runner.invoke(main, ["moderator", "token", "ed@blog.example"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    stored = scalar(cli_env, "SELECT token_hash FROM moderator_tokens")
    assert token not in stored

    client = create_app().test_client()
    me = client.get("/api/v1/moderation/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json() == {"email": "ed@blog.example", "sites": ["blog"]}

    revoked = runner.invoke(main, ["moderator", "revoke-tokens", "ed@blog.example"])
    assert "1 token revoked" in revoked.output
    assert client.get("/api/v1/moderation/me",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_passwd_changes_the_password(cli_env: str) -> None:
    runner = CliRunner()
    ready(runner)
    runner.invoke(main, ["moderator", "add", "ed@blog.example", "--site", "blog",
                         "--password-stdin"], input=PASSWORD + "\n")
    before = scalar(cli_env, "SELECT password_hash FROM moderators")
    result = runner.invoke(main, ["moderator", "passwd", "ed@blog.example", "--password-stdin"],
                           input="another long passphrase\n")
    assert result.exit_code == 0, result.output
    after = scalar(cli_env, "SELECT password_hash FROM moderators")
    assert after != before
    unknown = runner.invoke(main, ["moderator", "token", "nobody@blog.example"])
    assert unknown.exit_code != 0
