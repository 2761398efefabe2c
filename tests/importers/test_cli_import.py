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
    assert "skipped 11 (on “Flawed” https://blog.example/flawed/): missing parent 9999" in lines
    assert ("skipped 10 (on “Flawed” https://blog.example/flawed/): duplicate id (first kept)"
            in lines)
    assert "skipped 14 (in thread 77): its thread 77 is not in the file" in lines
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


def test_wordpress_com_export_reports_held_cut_and_plain_permalinks(runner):
    result = runner.invoke(main, ["import", "wordpress", str(DATA / "wordpress_com.xml"),
                                  "--site", "blog"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("imported 9 comments (1 hidden, 3 pending, 5 visible); 5 new threads; "
                        "0 already present; 1 skipped")
    assert ("held for moderation: 1 comments approved on a password-protected post, which no "
            "visitor could read (--publish-protected shows them)") in lines
    assert any(line.startswith("name cut: comment 14 ") for line in lines)
    hint = next(line for line in lines if line.startswith("plain permalinks: 2 threads"))
    assert 'data-article="/?p=4"' in hint
    assert "--key-from identifier" in hint
    assert ("skipped 61 (on post 6 “Linked from elsewhere”): a pingback, not a reader's comment"
            in lines)


def test_publish_protected_flag_shows_them(runner):
    result = runner.invoke(main, ["import", "wordpress", str(DATA / "wordpress_com.xml"),
                                  "--site", "blog", "--publish-protected"])
    assert result.stdout.startswith("imported 9 comments (1 hidden, 8 visible)")


def test_an_export_with_nothing_importable_exits_nonzero_and_says_why(runner, tmp_path):
    only_pingbacks = tmp_path / "pingbacks.xml"
    text = (DATA / "wordpress_com.xml").read_text(encoding="utf-8")
    only_pingbacks.write_text(
        text.replace("<wp:comment_type><![CDATA[]]>", "<wp:comment_type><![CDATA[pingback]]>"),
        encoding="utf-8")
    result = runner.invoke(main, ["import", "wordpress", str(only_pingbacks), "--site", "blog"])
    assert result.exit_code == 1
    assert "nothing imported: all 10 comments were skipped (10 x a pingback" in result.output
    empty = tmp_path / "empty.xml"
    empty.write_text(text[: text.index("\t<item>")] + "</channel>\n</rss>\n", encoding="utf-8")
    result = runner.invoke(main, ["import", "wordpress", str(empty), "--site", "blog"])
    assert result.exit_code == 1
    assert "nothing to import: the file holds no comments" in result.output


def test_an_rss_file_that_is_not_wxr_exits_nonzero(runner, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0"><channel><title>A feed</title><item><title>x</title>'
                    "</item></channel></rss>", encoding="utf-8")
    result = runner.invoke(main, ["import", "wordpress", str(feed), "--site", "blog"])
    assert result.exit_code == 1
    assert "not a WordPress export: no element in the WXR namespace" in result.output


def test_two_wordpress_blogs_into_one_site_keep_both(runner, tmp_path):
    second = tmp_path / "second.xml"
    text = (DATA / "wordpress_com.xml").read_text(encoding="utf-8")
    second.write_text(text.replace("https://example.wordpress.com", "https://second.example"),
                      encoding="utf-8")
    first = runner.invoke(main, ["import", "wordpress", str(DATA / "wordpress_com.xml"),
                                 "--site", "blog", "--key-from", "url"])
    assert first.stdout.startswith("imported 9 comments")
    again = runner.invoke(main, ["import", "wordpress", str(second), "--site", "blog",
                                 "--key-from", "url"])
    assert again.stdout.startswith("imported 9 comments"), again.output
