"""cli.py: the comments-service command creates sites and migrates databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from comments_service.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMENTS_DATABASE_URL", url)
    monkeypatch.setenv("COMMENTS_SECURITY_SECRET_KEY", "cli-test-secret")
    monkeypatch.chdir(tmp_path)
    return url


def test_migrate_creates_the_schema_on_a_new_database(cli_env: str) -> None:
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(cli_env)).get_table_names())
    assert {"sites", "threads", "comments", "alembic_version"} <= tables


def test_create_site_then_list_it(cli_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    result = runner.invoke(main, ["create-site", "blog", "--name", "My blog",
                                  "--origin", "https://Blog.Example/"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["list-sites"])
    assert "blog\tMy blog\thttps://blog.example" in listed.output


def test_create_site_with_bad_origin_fails_with_a_message(cli_env: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    result = runner.invoke(main, ["create-site", "blog", "--origin", "javascript:alert(1)"])
    assert result.exit_code != 0
    assert "not an http(s) origin" in result.output


def test_duplicate_site_is_refused(cli_env: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    assert runner.invoke(main, ["create-site", "blog"]).exit_code == 0
    result = runner.invoke(main, ["create-site", "blog"])
    assert result.exit_code != 0
    assert "exists" in result.output
