// ---- live updates (issues 9, 19): "N new comments", inserted when the reader asks -----
// An EventSource on the thread's events; long polling when there is none. Refused
// (429/503) or dropped, the feed reconnects itself, politely: see later(). New comments
// are only counted in a button pinned below the list, so nothing the reader is reading
// moves until they click.
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
    this.fails = 0;
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
    if (this.since) url.searchParams.set('since', this.since);
    const source = new EventSource(url.href);
    let open = false;
    const seen = (event) => { this.since = event.lastEventId || this.since; };
    source.addEventListener('ready', (event) => { seen(event); open = true; this.fails = 0; });
    source.addEventListener('comment', (event) => { seen(event); this.add(JSON.parse(event.data)); });
    // Not the browser's own reconnect (at once, the whole crowd together): a stream that
    // was open comes back after a short jittered wait, with `since`, missing nothing; one
    // that never opened was refused (EventSource cannot read why) or found no service:
    // the next ask is a poll, which can read the status and Retry-After.
    source.onerror = () => {
      source.close();
      this.later(open ? () => this.stream() : () => this.poll(), !open);
    };
  }

  // Ask again later: twice as long after each failure (up to 5 min) times 0.5-1.5, so a
  // crowd does not come back at once; never before Retry-After; at least 30 s while refused.
  later(next, refused, retryAfter = 0) {
    const grow = Math.min(1000 * 2 ** this.fails, 300000) * (0.5 + Math.random());
    this.fails += 1;
    setTimeout(next, Math.max(grow, refused ? 30000 : 0, retryAfter * 1000));
  }

  async poll() {
    let data;
    try {
      data = await api('GET', this.path,
        { query: { article: this.w.article, poll: 1, since: this.since } });
    } catch (error) {
      const { status } = error;
      if (status !== 404) this.later(() => this.poll(), status === 429 || status === 503, error.retryAfter);
      return;
    }
    this.since = data.last_event_id;
    data.events.forEach((event) => this.add(event));
    // Answered: back to a stream (only its `ready` forgives the failures), or poll on.
    if (window.EventSource) this.stream();
    else {
      this.fails = 0;
      this.poll();
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
