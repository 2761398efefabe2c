// ---- start when the page's elements exist ---------------------------------------
const boot = () => {
  storage.sweep();
  const host = document.getElementById('comments');
  if (host && !host.shadowRoot) {
    const widget = new Widget(host);
    Feed.follow(widget);
    Passages.follow(widget);
    widget.start();
  }
  fillCounts(host);
};
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot, { once: true });
} else {
  boot();
}
