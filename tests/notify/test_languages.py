"""Readers' languages end to end: the language the widget sends with a post, a
subscription or a data request is stored, every mail to that reader is written in it
(real worker, real SMTP server), and the pages the mail's links open speak it too."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from comments_service.extensions import db
from comments_service.models import ReaderDataRequest, Subscription
from tests.conftest import Api, add_moderator
from tests.notify.conftest import PUBLIC_URL, make_worker

ANN = "ann@example.com"
BOB = "bob@example.com"


def _path(url_in_text: str, text: str) -> str:
    """The path (and query) of the first link under PUBLIC_URL + url_in_text in a mail."""
    match = re.search(rf"{re.escape(PUBLIC_URL)}({re.escape(url_in_text)}\S+)", text)
    assert match, text
    return match.group(1)


def test_a_reader_who_subscribed_from_a_spanish_page_gets_the_reply_and_pages_in_spanish(
    notify_app: Any, site_factory: Any, smtp_server: Any
) -> None:
    """Ann comments from a Spanish page (the widget sends lang "es") asking for replies:
    the confirmation mail, its page, the reply notice and its unsubscribe page are all in
    Spanish, with the mail marked Content-Language: es and the pages <html lang="es">."""
    app = notify_app()
    api: Api = site_factory(app)
    top = api.posted_id("¿Es verdad?", author_name="Ann", author_email=ANN, notify="replies",
                        title="Gran noticia", url="https://news.example/a1", lang="es")
    make_worker(app).run_until_idle()
    [confirmation] = smtp_server.sink.to(ANN)
    assert confirmation.message["Subject"] == "Confirme las notificaciones de News"
    assert confirmation.message["Content-Language"] == "es"
    assert "No se enviará nada hasta que lo confirme." in confirmation.text

    confirm_path = _path("/notify/confirm/", confirmation.text)
    assert confirm_path.endswith("?lang=es")
    page = api.client.get(confirm_path, headers={"Accept-Language": "en"})
    assert '<html lang="es" dir="ltr">' in page.get_data(as_text=True)
    done = api.client.post(confirm_path).get_data(as_text=True)
    assert "Gracias. Recibirá los correos que pidió sobre «" in done

    api.posted_id("Sí, de verdad", parent_id=top, author_name="Bob", author_email=BOB)
    make_worker(app).run_until_idle()
    reply = [m for m in smtp_server.sink.to(ANN) if m is not confirmation][-1]
    assert reply.message["Subject"] == "Bob ha respondido a su comentario en Gran noticia"
    assert reply.message["Content-Language"] == "es"
    assert "Bob ha respondido a su comentario en «Gran noticia»:" in reply.text
    assert "Leerlo y responder" in reply.html
    assert '<html lang="es" dir="ltr">' in reply.html

    unsubscribe = re.fullmatch(rf"<{re.escape(PUBLIC_URL)}(\S+)>",
                               reply.message["List-Unsubscribe"]).group(1)
    manage = api.client.get(unsubscribe, headers={"Accept-Language": "de, en;q=0.5"})
    html = manage.get_data(as_text=True)
    assert manage.status_code == 200
    assert '<html lang="es"' in html
    assert "Dejar de recibir correos sobre este artículo" in html
    stopped = api.client.post(unsubscribe, data={"mode": "none"}).get_data(as_text=True)
    assert "No recibirá más correos sobre" in stopped


def test_an_unknown_language_is_stored_as_none_and_mail_falls_back_to_english(
    notify_app: Any, site_factory: Any, smtp_server: Any
) -> None:
    """A tag the service does not speak is not an error: the subscription has no language
    and the reader gets the site's default (English); a regional tag maps to its
    language (es-MX -> es)."""
    app = notify_app()
    api: Api = site_factory(app)
    for address, lang in ((ANN, "tlh"), (BOB, "es-MX")):
        response = api.client.post(f"/api/v1/sites/{api.site}/subscriptions",
                                   json={"article": "a1", "email": address, "lang": lang})
        assert response.status_code == 202, response.get_json()
    with app.app_context():
        stored = dict(db.session.execute(select(Subscription.email, Subscription.language)).all())
    assert stored == {ANN: None, BOB: "es"}
    make_worker(app).run_until_idle()
    assert smtp_server.sink.to(ANN)[0].message["Subject"] == "Confirm notifications from News"
    assert smtp_server.sink.to(BOB)[0].message["Subject"] == (
        "Confirme las notificaciones de News")


def test_a_data_request_in_spanish_gets_a_spanish_mail_date_and_page(
    notify_app: Any, site_factory: Any, smtp_server: Any
) -> None:
    """The reader-data link: asked for in Spanish, mailed in Spanish with the expiry as a
    Spanish date, and the page it opens in Spanish with CLDR plural forms."""
    app = notify_app(**{})
    api: Api = site_factory(app)
    api.posted_id("Uno", author_email=ANN, author_name="Ann")
    api.posted_id("Dos", article="a2", author_email=ANN, author_name="Ann")
    response = api.client.post(f"/api/v1/sites/{api.site}/reader-data",
                               json={"email": ANN, "lang": "es"})
    assert response.status_code == 202, response.get_json()
    with app.app_context():
        assert db.session.execute(select(ReaderDataRequest.language)).scalar_one() == "es"
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(ANN)
    assert mail.message["Subject"] == "Sus comentarios en News"
    assert re.search(r"El enlace funciona hasta el \d{1,2} de [a-z]+ de \d{4}", mail.text)
    page = api.client.get(_path("/my-data/", mail.text)).get_data(as_text=True)
    assert "Se publicaron 2 comentarios con ann@example.com." in page
    assert "Están en 2 artículos." in page


def test_accept_language_picks_the_page_language_and_the_link_language_wins(
    notify_app: Any, site_factory: Any
) -> None:
    """Without ?lang the browser's preference among supported languages is used (the
    first supported one, by quality); ?lang overrides it; neither: English."""
    app = notify_app()
    api: Api = site_factory(app)
    path = f"/my-data?site={api.site}"
    spanish = api.client.get(path, headers={"Accept-Language": "tlh, es-ES;q=0.8, en;q=0.5"})
    assert "Enviarme el enlace" in spanish.get_data(as_text=True)
    english = api.client.get(path + "&lang=en", headers={"Accept-Language": "es"})
    assert "Email me the link" in english.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in api.client.get(path).get_data(as_text=True)


def test_moderator_notices_and_mail_to_readers_without_a_language_use_the_sites_own(
    notify_app: Any, site_factory: Any, smtp_server: Any
) -> None:
    """A site whose own language is Spanish: its moderators' notice of a held comment is
    in Spanish, and so is the confirmation for a reader whose widget sent no language."""
    app = notify_app(moderator_addresses=["mods@news.example"])
    api: Api = site_factory(app)
    mod = add_moderator(app, "boss@news.example", api.site)
    api.client.patch("/api/v1/moderation/sites/news", headers=mod.headers,
                     json={"languages": ["es", "en"], "premoderation": True})
    api.post("Espera", author_name="Ann", author_email="ann@example.com", notify="all")
    make_worker(app).run_until_idle()
    [notice] = smtp_server.sink.to("mods@news.example")
    assert notice.message["Subject"] == "Un comentario de Ann espera aprobación: a1"
    assert "?lang=es" in notice.text
    [confirmation] = smtp_server.sink.to("ann@example.com")
    assert confirmation.message["Subject"] == "Confirme las notificaciones de News"


def test_the_admin_follows_the_browser_and_arabic_pages_are_right_to_left(
    notify_app: Any, site_factory: Any
) -> None:
    """The admin's sign-in page in the moderator's browser language; a reader's page
    opened in Arabic is laid out right to left (dir="rtl" on <html>)."""
    app = notify_app()
    api: Api = site_factory(app)
    login = api.client.get("/admin/login", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    html = login.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    assert "Connectez-vous pour modérer" in html
    arabic = api.client.get(f"/my-data?site={api.site}&lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
