"""The sign-in popup in the reader's language: the widget opens it with ?lang= (the
language it shows), the popup's pages, its refusals and the page after the provider's
callback speak it, and the emailed sign-in link arrives in it (real worker, real SMTP
server) with a link whose pages speak it too."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import SITE_ORIGIN, Api, add_moderator
from tests.notify.conftest import PUBLIC_URL, make_worker
from tests.readers.conftest import configure

MEL = "mel@example.org"
EMAIL_WAY = {"key": "email", "kind": "email", "label": "email"}


def _email_site(app: Any, site_factory: Any) -> Api:
    api: Api = site_factory(app)
    moderator = add_moderator(app, "mod@news.example", api.site)
    answer = configure(api.client, moderator, api.site, mode="offered", ways=[EMAIL_WAY])
    assert answer.status_code == 200, answer.get_json()
    return api


def test_an_email_sign_in_asked_from_a_spanish_popup_is_spanish_to_the_end(
    notify_app: Any, site_factory: Any, smtp_server: Any
) -> None:
    """The popup opened with ?lang=es (an English browser) shows its form in Spanish; the
    form posts back to its own URL, so the sent page is Spanish too; the mail is Spanish
    (subject, body, Content-Language, <html lang="es">, a Spanish date), its link carries
    ?lang=es, and the page it opens and the signed-in page are Spanish."""
    app = notify_app()
    api = _email_site(app, site_factory)
    english = {"Accept-Language": "en"}
    start = f"/auth/news/start?way=email&origin={SITE_ORIGIN}&lang=es"
    form = api.client.get(start, headers=english).get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in form
    assert "Iniciar sesión por correo" in form
    assert "Nombre que se mostrará con sus comentarios" in form
    sent = api.client.post(start, headers={**english, "Origin": "http://localhost"},
                           data={"email": MEL, "name": "Mel", "origin": SITE_ORIGIN,
                                 "way": "email"})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert "Revise su correo" in sent.get_data(as_text=True)

    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(MEL)
    assert mail.message["Subject"] == "Inicie sesión para comentar en News"
    assert mail.message["Content-Language"] == "es"
    assert "Alguien, probablemente usted, pidió iniciar sesión para comentar en News" in mail.text
    assert "Abra este enlace y pulse «Iniciar sesión»:" in mail.text
    assert re.search(r"hasta el \d{1,2} de [a-z]+ de \d{4}", mail.text), mail.text
    assert '<html lang="es" dir="ltr">' in mail.html
    match = re.search(rf"{re.escape(PUBLIC_URL)}(/auth/news/email/\S+)", mail.text)
    assert match, mail.text
    link = match.group(1)
    assert link.endswith("?lang=es")
    shown = api.client.get(link, headers=english).get_data(as_text=True)
    assert "Iniciar sesión como Mel (mel@example.org)." in shown
    used = api.client.post(link, headers={**english, "Origin": "http://localhost"})
    assert used.status_code == 200, used.get_data(as_text=True)
    assert "Ha iniciado sesión como Mel. Puede cerrar esta ventana." in used.get_data(
        as_text=True)


def test_a_popup_without_a_language_mails_in_english_and_refusals_follow_the_popup(
    notify_app: Any, site_factory: Any, smtp_server: Any
) -> None:
    """Asked without ?lang= (an English browser) the mail is English with a link marked
    ?lang=en; a refused start is a page in the popup's language (Spanish, Arabic right to
    left); a bad email address is told in Spanish."""
    app = notify_app()
    api = _email_site(app, site_factory)
    sent = api.client.post("/auth/news/start", headers={"Origin": "http://localhost"},
                           data={"email": MEL, "origin": SITE_ORIGIN, "way": "email"})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    make_worker(app).run_until_idle()
    [mail] = smtp_server.sink.to(MEL)
    assert mail.message["Subject"] == "Sign in to comment on News"
    assert mail.message["Content-Language"] == "en"
    assert re.search(r"/auth/news/email/\S+\?lang=en", mail.text), mail.text

    refused = api.client.get("/auth/news/start?way=email&origin=https://evil.example&lang=es")
    assert refused.status_code == 403
    assert "Esta página no puede iniciar la sesión de lectores en ese sitio" in refused.get_data(
        as_text=True)
    arabic = api.client.get("/auth/news/start?way=nope&origin=https://news.example&lang=ar")
    assert arabic.status_code == 404
    page = arabic.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "لا يوفّر هذا الموقع طريقة الدخول هذه." in page
    bad = api.client.post("/auth/news/start?lang=es", headers={"Origin": "http://localhost"},
                          data={"email": "not an address", "origin": SITE_ORIGIN,
                                "way": "email"})
    assert bad.status_code == 422
    assert "Indique una dirección de correo válida." in bad.get_data(as_text=True)
