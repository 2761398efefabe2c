"""config.py: defaults file, env overrides, and refusal of unknown or mistyped keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from comments_service import create_app
from comments_service.config import ConfigError, load_settings


def test_defaults_file_fills_every_setting() -> None:
    settings = load_settings(environ={})
    assert settings.server.port == 8080
    assert settings.comments.max_depth == 4
    assert settings.limits.storage_uri == "memory://"
    assert settings.database.url == ""


def test_environment_overrides_are_coerced_to_the_field_type() -> None:
    settings = load_settings(
        environ={
            "COMMENTS_COMMENTS_MAX_DEPTH": "7",
            "COMMENTS_LIMITS_ENABLED": "false",
            "COMMENTS_DATABASE_URL": "postgresql+psycopg://u@h/db",
        }
    )
    assert settings.comments.max_depth == 7
    assert settings.limits.enabled is False
    assert settings.database.url == "postgresql+psycopg://u@h/db"


def test_environment_value_of_wrong_type_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigError, match="COMMENTS_COMMENTS_MAX_DEPTH"):
        load_settings(environ={"COMMENTS_COMMENTS_MAX_DEPTH": "deep"})


def test_extra_config_file_is_laid_over_defaults(tmp_path: Path) -> None:
    extra = tmp_path / "site.toml"
    extra.write_text('[threads]\npage_size = 7\n')
    settings = load_settings(environ={"COMMENTS_CONFIG": str(extra)})
    assert settings.threads.page_size == 7
    assert settings.threads.max_page_size == 100


def test_unknown_key_in_a_file_is_refused(tmp_path: Path) -> None:
    extra = tmp_path / "site.toml"
    extra.write_text('[threads]\npage_sise = 7\n')
    with pytest.raises(ConfigError, match=r"threads\.page_sise"):
        load_settings(environ={"COMMENTS_CONFIG": str(extra)})


def test_override_of_wrong_type_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"comments\.max_depth"):
        load_settings(overrides={"comments": {"max_depth": "4"}}, environ={})


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="secret"):
        create_app(
            {"server": {"environment": "production"}, "security": {"secret_key": ""}},
            instance_path=tmp_path,
        )


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    overrides = {"security": {"secret_key": ""}, "database": {"url": "sqlite://"}}
    first = create_app(overrides, instance_path=tmp_path).config["SECRET_KEY"]
    second = create_app(overrides, instance_path=tmp_path).config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"limits": {"strategy": "leaky-bucket"}}, r"limits\.strategy"),
        ({"limits": {"on_storage_error": "panic"}}, r"limits\.on_storage_error"),
        ({"limits": {"post_per_email": "lots per minute"}}, r"limits\.post_per_email"),
        ({"spam": {"action": "shred"}}, r"spam\.action"),
        ({"spam": {"form_token_min_seconds": 100, "form_token_max_age_seconds": 10}},
         r"spam\.form_token_min_seconds"),
        ({"spam": {"checker_url": "file:///etc/passwd"}}, r"spam\.checker_url"),
    ],
)
def test_abuse_control_settings_with_bad_values_are_refused(overrides, named) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(overrides=overrides, environ={})


def test_blocked_words_can_be_given_as_a_comma_list_in_the_environment() -> None:
    settings = load_settings(environ={"COMMENTS_SPAM_BLOCKED_WORDS": "casino, buy followers"})
    assert settings.spam.blocked_words == ("casino", "buy followers")


def test_production_example_loads_and_still_needs_a_secret(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config" / "production.toml"
    settings = load_settings(environ={"COMMENTS_CONFIG": str(example)})
    assert settings.is_production
    assert settings.limits.storage_uri.startswith("redis://")
    assert settings.notifications.worker == "none"
    with pytest.raises(ConfigError, match="secret"):
        create_app(settings, instance_path=tmp_path)


def test_as_row_id_takes_ascii_digits_up_to_the_row_id_bound() -> None:
    """The one id bound (config.MAX_ROW_ID), used by the admin, the audit cursor and
    Last-Event-ID: anything else is None, never an exception."""
    from comments_service.config import MAX_ROW_ID, as_row_id

    assert as_row_id("0") == 0
    assert as_row_id(str(MAX_ROW_ID)) == MAX_ROW_ID
    for text in (str(MAX_ROW_ID + 1), "9" * 5000, "", "-1", "1.5", "\u00b2", "\u0661"):
        assert as_row_id(text) is None, text
