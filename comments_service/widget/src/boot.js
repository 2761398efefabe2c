// ---- start when the page's elements exist ---------------------------------------
const boot = async () => {
  storage.sweep();
  const host = document.getElementById('comments');
  const widget = host && !host.shadowRoot && new Widget(host);
  const asked = widget && widget.site && widget.ask();
  const i18n = makeI18n(...await loadStrings(pickLang(host)));
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
