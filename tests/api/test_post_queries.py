"""The post path's statements: nothing is read back after the commit."""

from __future__ import annotations

from tests.conftest import count_queries


def test_a_post_reads_nothing_back_after_its_commit(app, api) -> None:
    api.posted_id("First, so the thread and the site are known.")
    with count_queries(app) as statements:
        response = api.post("Second *post*.")
    assert response.status_code == 201
    assert response.get_json()["comment"]["body_html"] == "<p>Second <em>post</em>.</p>"
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The thread is looked up once; neither the new comment nor the site is reloaded.
    assert len(selects) == 1
    assert "FROM threads" in selects[0]
