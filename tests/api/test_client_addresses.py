"""Client addresses: hashed with the service secret, never stored in clear."""

from __future__ import annotations

from sqlalchemy import select, text

from comments_service.clients import hash_address
from comments_service.extensions import db
from comments_service.models import Comment

ADDRESS = "203.0.113.77"


def every_stored_value(app) -> str:
    with app.app_context():
        values = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608
                values.extend(str(value) for value in row)
        return "\n".join(values)


def post_from(client, address: str, **environ: str):
    return client.post("/api/v1/sites/news/comments", json={"article": "a1", "body": "Hi"},
                       environ_base={"REMOTE_ADDR": address, **environ})


def test_no_column_holds_the_client_address_after_a_post(app, site, client) -> None:
    assert post_from(client, ADDRESS).status_code == 201
    stored = every_stored_value(app)
    assert ADDRESS not in stored
    assert "203.0.113" not in stored, "not even the network"
    with app.app_context():
        comment = db.session.execute(select(Comment)).scalar_one()
        assert comment.client_hash == hash_address(ADDRESS, app.config["SECRET_KEY"])


def test_address_behind_a_trusted_proxy_is_hashed_not_stored(make_app, site) -> None:
    app = make_app(server={"trusted_proxy_hops": 1})
    response = app.test_client().post(
        "/api/v1/sites/news/comments", json={"article": "a1", "body": "Hi"},
        headers={"X-Forwarded-For": ADDRESS}, environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.status_code == 201
    assert ADDRESS not in every_stored_value(app)
    with app.app_context():
        comment = db.session.execute(select(Comment)).scalar_one()
        assert comment.client_hash == hash_address(ADDRESS, app.config["SECRET_KEY"])
