// ---- start when the page's elements exist ---------------------------------------
const boot = async () => {
  storage.sweep();
  const host = document.getElementById('comments');
  const widget = host && !host.shadowRoot && new Widget(host);
  const asked = widget && widget.site && widget.ask();
  const lang = pickLang(host);
  let strings = loadStrings(lang);
  // A site may offer only some languages (its config): the catalogue is fetched along
  // with the config as usual, and again only when the site does not offer that language.
  const offered = asked ? await asked.config.then((c) => c.languages, () => null) : null;
  const chosen = offered && offered.length ? pickLang(host, offered) : lang;
  if (chosen !== lang) strings = loadStrings(chosen);
  const i18n = makeI18n(...await strings);
  if (widget) {
    widget.build(i18n);
    Feed.follow(widget);
    Passages.follow(widget);
    widget.start(asked);
  }
  fillCounts(host, i18n);
};
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot, { once: true });
} else {
  boot();
}
