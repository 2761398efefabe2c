"""compression.py and web.py: the widget's files go out gzip- or Brotli-compressed to
clients that accept it, compressed once, each encoding under its own ETag (issue 24.3)."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask.testing import FlaskClient

from comments_service import compression
from comments_service.config import load_settings

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("br, gzip", "br"),
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=1, br;q=0", "gzip"),
        ("*", "br"),
        ("*;q=0.1, gzip;q=0.2", "gzip"),
        ("identity", None),
        ("gzip;q=0, br;q=0", None),
        ("deflate", None),
        ("", None),
        (None, None),
    ],
)
def test_the_client_s_accept_encoding_picks_the_encoding(accept: str | None,
                                                         chosen: str | None) -> None:
    settings = load_settings(environ={}).compression
    assert compression.choose(settings, accept, size=10_000) == chosen


def test_small_bodies_and_a_switched_off_service_are_not_compressed() -> None:
    settings = load_settings(environ={}).compression
    assert compression.choose(settings, "br", size=settings.min_bytes - 1) is None
    off = load_settings(environ={"COMMENTS_COMPRESSION_ENABLED": "false"}).compression
    assert compression.choose(off, "br", size=10_000) is None


@pytest.mark.parametrize("path", ["/embed.js", "/embed.css"])
def test_widget_files_go_out_in_the_accepted_encoding_with_their_own_etags(
    client: FlaskClient, path: str
) -> None:
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    etags = {None: plain.headers["ETag"]}
    for encoding in ("br", "gzip"):
        answer = client.get(path, headers={"Accept-Encoding": encoding})
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == encoding
        assert len(answer.get_data()) < len(plain.get_data()) / 3
        assert DECODE[encoding](answer.get_data()) == plain.get_data()
        assert answer.headers["Content-Length"] == str(len(answer.get_data()))
        etags[encoding] = answer.headers["ETag"]
        again = client.get(path, headers={"Accept-Encoding": encoding,
                                          "If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["ETag"] == answer.headers["ETag"]
        assert "Accept-Encoding" in again.headers["Vary"]
    assert len(set(etags.values())) == 3, etags
    assert "Accept-Encoding" in plain.headers["Vary"]


def test_an_etag_of_another_encoding_is_not_a_304(client: FlaskClient) -> None:
    brotli_etag = client.get("/embed.js", headers={"Accept-Encoding": "br"}).headers["ETag"]
    answer = client.get("/embed.js", headers={"Accept-Encoding": "gzip",
                                              "If-None-Match": brotli_etag})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"


def test_widget_files_are_compressed_once_not_per_request(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comments_service import web

    web._load.cache_clear()  # as a new process starts
    calls: list[str] = []
    real = compression.compress

    def counting(body: bytes, encoding: str, **levels: int) -> bytes:
        calls.append(encoding)
        return real(body, encoding, **levels)

    monkeypatch.setattr(compression, "compress", counting)
    for _ in range(3):
        for accept in ("br", "gzip", "br, gzip"):
            assert client.get("/embed.js", headers={"Accept-Encoding": accept}).status_code == 200
    assert sorted(calls) == ["br", "gzip"]


def test_a_prepared_widget_costs_no_compression_when_served(
    app, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What wsgi.py and `serve` do when a worker starts: no reader waits for Brotli 11."""
    from comments_service import web
    from comments_service.widget.parts import catalogue, catalogues

    web._load.cache_clear()
    web._load_catalogue.cache_clear()
    calls: list[str] = []
    real = compression.compress

    def counting(body: bytes, encoding: str, **levels: int) -> bytes:
        calls.append(encoding)
        return real(body, encoding, **levels)

    monkeypatch.setattr(compression, "compress", counting)
    web.prepare_widget(app)
    files = 2 + len(catalogues())  # embed.js, embed.css and every language's strings
    assert sorted(calls) == ["br"] * files + ["gzip"] * files
    paths = ["/embed.js", "/embed.css"] + [
        f"/embed-i18n/{catalogue(lang).version}/{lang}.json" for lang in catalogues()]
    for path in paths:
        for accept in ("br", "gzip"):
            answer = client.get(path, headers={"Accept-Encoding": accept})
            assert answer.headers["Content-Encoding"] == accept
    assert len(calls) == 2 * files
