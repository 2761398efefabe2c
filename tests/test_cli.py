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


# ---- notifications (issue 5): webhook, worker, outbox ----------------------------------


def _subscribe_through_the_api(address: str) -> None:
    from comments_service import create_app

    client = create_app().test_client()
    response = client.post("/api/v1/sites/blog/subscriptions",
                           json={"article": "a1", "email": address})
    assert response.status_code == 202, response.get_json()


def test_webhook_add_prints_its_secret_then_list_and_remove(cli_env: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    runner.invoke(main, ["create-site", "blog"])
    added = runner.invoke(main, ["webhook", "add", "blog", "https://hooks.example/in"])
    assert added.exit_code == 0, added.output
    secret = added.output.split("secret: ", 1)[1].split()[0]
    assert len(secret) >= 40
    listed = runner.invoke(main, ["webhook", "list", "blog"])
    assert listed.output.strip() == "https://hooks.example/in"
    assert secret not in listed.output
    assert runner.invoke(main, ["webhook", "add", "blog", "https://hooks.example/in"]
                         ).exit_code != 0
    assert runner.invoke(main, ["webhook", "remove", "blog", "https://hooks.example/in"]
                         ).exit_code == 0
    assert runner.invoke(main, ["webhook", "list", "blog"]).output == ""


def test_webhook_add_refuses_a_non_http_url_and_an_unknown_site(cli_env: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    runner.invoke(main, ["create-site", "blog"])
    assert runner.invoke(main, ["webhook", "add", "blog", "file:///etc/passwd"]).exit_code != 0
    unknown = runner.invoke(main, ["webhook", "add", "nope", "https://hooks.example/in"])
    assert unknown.exit_code != 0
    assert "no site" in unknown.output


def test_worker_once_writes_mail_to_the_development_folder(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMENTS_NOTIFICATIONS_TRANSPORT", "file")
    monkeypatch.setenv("COMMENTS_NOTIFICATIONS_MAIL_DIR", str(tmp_path / "mail"))
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    runner.invoke(main, ["create-site", "blog"])
    _subscribe_through_the_api("carol@example.com")
    result = runner.invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "mail").glob("*.eml")
    assert "Confirm notifications" in written.read_text()
    status = runner.invoke(main, ["outbox", "status"])
    assert "sent\t1" in status.output


def test_outbox_dead_lists_undeliverable_mail_and_retry_queues_it_again(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("COMMENTS_NOTIFICATIONS_TRANSPORT", "smtp")
    monkeypatch.setenv("COMMENTS_NOTIFICATIONS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("COMMENTS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("COMMENTS_SMTP_PORT", str(closed_port))
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    runner.invoke(main, ["create-site", "blog"])
    _subscribe_through_the_api("carol@example.com")
    assert runner.invoke(main, ["worker", "--once"]).exit_code == 0

    dead = runner.invoke(main, ["outbox", "dead"])
    assert dead.exit_code == 0
    row_id, kind, recipient, tries = dead.output.split("\t")[:4]
    assert (kind, recipient, tries) == ("confirm", "c***@example.com", "1 tries")
    assert "carol@" not in dead.output
    retried = runner.invoke(main, ["outbox", "retry", row_id])
    assert retried.exit_code == 0, retried.output
    assert runner.invoke(main, ["outbox", "dead"]).output.strip() == "no dead messages"
    assert runner.invoke(main, ["outbox", "retry", row_id]).exit_code != 0


def test_update_site_renames_and_changes_origins_audited(cli_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    runner.invoke(main, ["create-site", "blog", "--origin", "https://blog.example"])
    result = runner.invoke(main, ["update-site", "blog", "--name", "My blog",
                                  "--add-origin", "https://www.blog.example",
                                  "--premoderation", "--note", "new domain"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["list-sites"]).output
    assert "My blog\thttps://blog.example https://www.blog.example" in listed
    result = runner.invoke(main, ["update-site", "blog", "--remove-origin", "https://blog.example"])
    assert result.exit_code == 0, result.output
    assert "\thttps://www.blog.example\n" in runner.invoke(main, ["list-sites"]).output
    engine = create_engine(cli_env)
    with engine.connect() as connection:
        notes = [row[0] for row in connection.exec_driver_sql(
            "SELECT actor || ': ' || note FROM audit_log ORDER BY id")]
    engine.dispose()
    assert notes == [
        "cli: name 'My blog'; origins https://blog.example https://www.blog.example; "
        "premoderation on (new domain)",
        "cli: origins https://www.blog.example",
    ]


def test_update_site_refuses_a_bad_origin_and_an_unknown_site(cli_env: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    runner.invoke(main, ["create-site", "blog", "--origin", "https://blog.example"])
    result = runner.invoke(main, ["update-site", "blog", "--origin", "https://blog.example/x"])
    assert result.exit_code != 0
    assert "scheme://host[:port]" in result.output
    result = runner.invoke(main, ["update-site", "nope", "--name", "x"])
    assert result.exit_code != 0
    assert "no site 'nope'" in result.output


def test_update_site_sets_the_languages_offered_by_the_same_rule(cli_env: str) -> None:
    """--languages takes codes as the API does (spelt the service's way, unknown ones
    refused by name); "" offers every language again."""
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    runner.invoke(main, ["create-site", "blog", "--origin", "https://blog.example"])
    result = runner.invoke(main, ["update-site", "blog", "--languages", "FR, pt-br"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(main, ["update-site", "blog", "--languages", "fr xx"])
    assert refused.exit_code != 0
    assert "xx" in refused.output
    engine = create_engine(cli_env)
    with engine.connect() as connection:
        notes = [row[0] for row in connection.exec_driver_sql(
            "SELECT note FROM audit_log ORDER BY id")]
    engine.dispose()
    assert notes == ["languages fr pt-BR"]
    assert runner.invoke(main, ["update-site", "blog", "--languages", ""]).exit_code == 0
