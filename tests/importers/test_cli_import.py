"""cli.py: `import disqus|wordpress|isso|json` and `export`, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from comments_service.cli import main
from tests.importers.conftest import DATA, isso_database


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COMMENTS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COMMENTS_SECURITY_SECRET_KEY", "cli-test-secret")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert runner.invoke(main, ["create-site", "blog"]).exit_code == 0
    return runner


def test_import_disqus_reports_counts_and_every_skip(runner):
    result = runner.invoke(main, ["import", "disqus", str(DATA / "disqus_flawed.xml"),
                                  "--site", "blog"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "imported 1 comments (1 visible); 1 new threads; 0 already present; 5 skipped")
    assert "skipped 11: missing parent 9999" in lines
    assert "skipped 10: duplicate id (first kept)" in lines
    assert "skipped 13: bad date 'last Tuesday'" in lines


def test_running_the_same_import_twice_adds_nothing(runner):
    arguments = ["import", "wordpress", str(DATA / "wordpress.xml"), "--site", "blog",
                 "--key-from", "identifier"]
    assert runner.invoke(main, arguments).stdout.startswith("imported 8 comments")
    again = runner.invoke(main, arguments)
    assert again.stdout.startswith("imported 0 comments (none); 0 new threads; 8 already present")


def test_import_isso_reads_the_database_file(runner, tmp_path):
    result = runner.invoke(main, ["import", "isso", str(isso_database(tmp_path)),
                                  "--site", "blog"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 6 comments")


def test_hostile_file_fails_with_a_message_and_a_nonzero_exit(runner):
    result = runner.invoke(main, ["import", "disqus", str(DATA / "billion_laughs.xml"),
                                  "--site", "blog"])
    assert result.exit_code == 1
    assert "refused: the file declares a DTD or entities" in result.output


def test_import_into_an_unknown_site_says_how_to_create_it(runner):
    result = runner.invoke(main, ["import", "disqus", str(DATA / "disqus.xml"), "--site", "nope"])
    assert result.exit_code == 1
    assert "no site 'nope'" in result.output
    assert "create-site" in result.output


def test_export_then_import_json_into_another_site(runner, tmp_path):
    runner.invoke(main, ["import", "disqus", str(DATA / "disqus.xml"), "--site", "blog"])
    target = tmp_path / "blog.json"
    result = runner.invoke(main, ["export", "--site", "blog", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"exported 15 comments in 3 threads to {target}\n"
    assert json.loads(target.read_text(encoding="utf-8"))["site"] == "blog"
    assert not list(tmp_path.glob(".*.partial"))
    assert runner.invoke(main, ["create-site", "copy"]).exit_code == 0
    imported = runner.invoke(main, ["import", "json", str(target), "--site", "copy"])
    assert imported.stdout.startswith("imported 15 comments")
