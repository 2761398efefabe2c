// ---- live updates (issue 9): "N new comments", inserted when the reader asks ----------
// An EventSource on the thread's events; long polling when there is none, or when the
// stream is refused (429/503) or keeps failing. New comments are only counted in a
// button pinned below the list, so nothing the reader is reading moves until they click.
class Feed {
  /** Follow a widget: the feed starts with its first page and recounts after a post. */
  static follow(widget) {
    let feed = null;
    widget.on('page', () => { feed = feed || new Feed(widget); });
    widget.on('posted', () => { if (feed) feed.refresh(); });
  }

  constructor(widget) {
    this.w = widget;
    this.pending = new Map();
    this.since = null;
    this.errors = 0;
    this.path = `/sites/${encodeURIComponent(widget.site)}/thread/events`;
    this.button = h('button', {
      type: 'button', class: 'btn primary new-comments', hidden: true, onclick: () => this.show(),
    });
    widget.el.append(this.button);
    if (window.EventSource) this.stream(); else this.poll();
  }

  stream() {
    const url = new URL(API + this.path);
    url.searchParams.set('article', this.w.article);
    const source = new EventSource(url.href);
    const seen = (event) => { this.since = event.lastEventId || this.since; };
    source.addEventListener('ready', (event) => { seen(event); this.errors = 0; });
    source.addEventListener('comment', (event) => { seen(event); this.add(JSON.parse(event.data)); });
    // The browser reconnects by itself, sending the last id, so nothing is missed.
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED || ++this.errors > 3) {
        source.close();
        this.poll();
      }
    };
  }

  async poll() {
    for (;;) {
      let wait = 0;
      try {
        const data = await api('GET', this.path,
          { query: { article: this.w.article, poll: 1, since: this.since } });
        this.since = data.last_event_id;
        data.events.forEach((event) => this.add(event));
      } catch (error) {
        if (error.status === 404) return;
        wait = Math.max(error.retryAfter * 1000, 5000);
      }
      await new Promise((done) => { setTimeout(done, wait); });
    }
  }

  add(event) {
    if (!this.w.shows(event.comment_id)) this.pending.set(event.comment_id, event);
    this.refresh();
  }

  refresh() {
    for (const id of this.pending.keys()) if (this.w.shows(id)) this.pending.delete(id);
    const n = this.pending.size;
    const text = n ? this.w.t('newComments', { n }) : '';
    if (text && text !== this.button.textContent) this.w.announce(text);
    this.button.textContent = text;
    this.button.hidden = !n;
  }

  async show() {
    const w = this.w;
    const ids = [...this.pending.keys()].sort((a, b) => a - b);
    this.pending.clear();
    this.refresh();
    const site = encodeURIComponent(w.site);
    const found = await Promise.all(ids.map((id) => api('GET', `/sites/${site}/comments/${id}`)
      .then((data) => data.comment, () => null)));
    let first = null;
    let added = 0;
    for (const c of found) {
      if (!c || c.status !== 'visible' || w.shows(c.id)) continue;
      added += 1;
      const el = w.insert(c);
      if (el) {
        el.classList.add('is-new');
        first = first || el;
      }
    }
    if (added) w.changeCount(added);
    w.announce(w.t('loaded', { n: added }));
    (first || w.countHeading).focus();
  }
}
