// ---- the thread widget --------------------------------------------------------------
// What the live feed (feed.js) and the passages (passages.js) may use: the fields site,
// article, config, host, el, list, t and only (the passage the thread is narrowed to),
// and the methods announce, shows, insert, changeCount, fill, composer, showOnly,
// plus these events, each with its detail (widget.on(name, fn)):
//   config   the site's config, once it has come (each start)
//   page     a page of the thread was shown (null)
//   comment  a comment's node was drawn in the thread ({ c, main, ... })
//   posted   the reader posted a comment here ({ comment, parent, root })
//   removed  the reader deleted their comment ({ node, root })
class Widget {
  // The host's data-* only: nothing is drawn or asked for until build() and start().
  constructor(host) {
    const data = host.dataset;
    this.host = host;
    this.site = data.site || '';
    this.article = data.article || location.pathname;
    this.title = data.title || document.title || undefined;
    const canonical = document.querySelector('link[rel="canonical"]');
    this.url = data.url || (canonical && canonical.href) || location.href.split('#')[0];
    this.sort = 'oldest';
    this.nodes = new Map();
    this.identity = { name: storage.read(`${NS}:name`) || '', email: '' };
    this.uid = 0;
    this.generation = 0;
    this.myVotes = new Map();
    this.handlers = new Map();
  }

  // The widget's frame in a shadow root, in the reader's language.
  build(i18n) {
    const host = this.host;
    const data = host.dataset;
    this.i18n = i18n;
    this.t = i18n.t;
    const root = host.attachShadow({ mode: 'open' });
    const sheet = h('link', { rel: 'stylesheet', href: `${BASE}embed.css` });
    const lang = this.i18n.lang;
    const theme = ['dark', 'light'].includes(data.theme) ? data.theme : null;
    this.el = h('section', {
      class: 'cs', lang, dir: RTL.has(lang) ? 'rtl' : 'ltr', 'data-theme': theme,
      'aria-label': this.t('commentsTitle'), hidden: true,
    });
    const show = () => { this.el.hidden = false; };
    sheet.addEventListener('load', show);
    sheet.addEventListener('error', show);
    setTimeout(show, 3000);
    root.append(sheet, this.el);

    this.live = h('div', { class: 'sr', role: 'status', 'aria-live': 'polite' });
    this.formSlot = h('div', { class: 'compose' });
    // Focus lands here when what had it is gone (a deleted comment, an emptied button).
    this.countHeading = h('h2', { class: 'count', tabindex: -1, text: this.t('commentsTitle') });
    this.sortSelect = h('select', { id: 'sort', onchange: () => this.changeSort() },
      ['oldest', 'newest', 'top'].map((value) => h('option', { value, text: this.t(value) })));
    this.sortBox = h('div', { class: 'sort', hidden: true },
      h('label', { for: 'sort', text: this.t('sortBy') }), this.sortSelect);
    this.notice = h('div', { class: 'notice', hidden: true });
    this.list = h('div', { class: 'list' });
    this.moreButton = h('button', {
      type: 'button', class: 'btn secondary more', hidden: true, text: this.t('loadMore'),
      onclick: () => this.loadPage(false),
    });
    this.moreError = h('p', { class: 'inline-error', hidden: true });
    this.el.append(
      this.live, this.formSlot,
      h('div', { class: 'bar' }, this.countHeading, this.sortBox),
      this.notice, this.list, h('div', { class: 'foot' }, this.moreButton, this.moreError),
    );
    // Escape in an open reply, edit, delete or report panel closes it, back to its button.
    this.el.addEventListener('keydown', (event) => {
      const c = event.key === 'Escape' && event.target.closest('.slot')?.closest('.c');
      const node = c && this.nodes.get(+c.id.slice(1));
      const opener = node && node.opener;
      if (opener) {
        this.closePanel(node);
        opener.focus();
      }
    });
    setInterval(() => this.tick(), TICK_MS);
  }

  // -- events: the feed and the passages subscribe; the widget calls none of them ---
  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, []);
    this.handlers.get(name).push(fn);
  }

  emit(name, detail) {
    for (const fn of this.handlers.get(name) || []) fn(detail);
  }

  // -- loading --------------------------------------------------------------------
  // The config and the first page, asked for together (and, in another language, with
  // its catalogue: boot.js): one round trip to the first comment instead of two.
  ask() {
    const asked = {
      first: this.fetchPage({ article: this.article, sort: this.sort }),
      config: api('GET', `/sites/${encodeURIComponent(this.site)}/config`),
    };
    // Failures are handled where they are awaited (loadPage, start), maybe later.
    for (const promise of Object.values(asked)) promise.catch(() => {});
    return asked;
  }

  async start(asked) {
    this.setNotice(this.t('loading'));
    if (!this.site) {
      this.setNotice(this.t('noSite'));
      return;
    }
    const { first, config } = asked || this.ask();
    try {
      this.config = await config;
    } catch (error) {
      this.failed(error);
      return;
    }
    if (this.config.reader_data === true) this.showDataLink();
    if (this.config.feeds === true) this.showFeedLink();
    this.me = this.signedIn();
    this.siteSignIn();
    this.emit('config', this.config);
    await this.loadPage(true, first);
  }

  fetchPage(query) {
    return api('GET', `/sites/${encodeURIComponent(this.site)}/thread`, { query });
  }

  // A reader's own comments: the service's page mails them a link to download or erase.
  showDataLink() {
    if (this.dataLink) return;
    this.dataLink = h('a', {
      class: 'my-data', target: '_blank', rel: 'noopener', text: this.t('myData'),
      href: `${BASE}my-data?site=${encodeURIComponent(this.site)}&lang=${this.i18n.lang}`,
    });
    this.el.append(h('p', { class: 'data-link' }, this.dataLink));
  }

  // The article's Atom feed of new comments (GET .../thread/feed.atom), for feed readers.
  showFeedLink() {
    if (this.feedLink) return;
    this.feedLink = h('a', {
      rel: 'alternate', type: 'application/atom+xml', text: this.t('feed'),
      href: `${API}/sites/${encodeURIComponent(this.site)}/thread/feed.atom?article=${encodeURIComponent(this.article)}`,
    });
    this.el.append(h('p', { class: 'data-link' }, this.feedLink));
  }

  failed(error) {
    if (error.code === 'site_not_found') {
      this.setNotice(this.t('noSite'));
      return;
    }
    this.setNotice(this.t('unavailable'), () => this.start());
  }

  setNotice(text, retry) {
    this.notice.replaceChildren();
    this.notice.hidden = !text;
    if (!text) return;
    this.notice.append(h('p', { text }));
    if (retry) {
      this.notice.append(h('button', {
        type: 'button', class: 'btn secondary', text: this.t('retry'), onclick: retry,
      }));
    }
  }

  async loadPage(reset, prefetched) {
    const generation = reset ? ++this.generation : this.generation;
    const query = { article: this.article, sort: this.sort };
    if (!reset) query.cursor = this.cursor;
    if (this.only) query.passage = this.only;
    this.moreError.hidden = true;
    this.moreButton.disabled = true;
    this.moreButton.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await (prefetched || this.fetchPage(query));
    } catch (error) {
      if (generation !== this.generation) return;
      if (reset) {
        this.failed(error);
      } else {
        this.announce(this.moreError.textContent = error.status === 0 || error.status >= 500
          ? this.t('errLoad') : this.errorText(error));
        this.moreError.hidden = false;
      }
      return;
    } finally {
      this.moreButton.disabled = false;
      this.moreButton.removeAttribute('aria-busy');
    }
    if (generation !== this.generation) return;
    if (reset) {
      this.list.replaceChildren();
      this.nodes.clear();
      this.thread = page.thread;
      if (!this.formSlot.firstChild) this.showComposer();
    }
    this.cursor = page.next_cursor;
    let added = 0;
    let first;
    for (const comment of page.comments) {
      const el = this.renderComment(comment, comment.id);
      if (el) {
        this.list.append(el);
        added += 1;
        first = first || el;
      }
    }
    this.moreButton.hidden = !this.cursor;
    // The last page hides "Load more": focus goes on to the first comment it brought.
    if (!reset && !this.cursor && first) first.focus();
    this.refreshCount();
    this.loadVotes();
    if (!reset) this.announce(this.t('loaded', { n: added }));
    this.emit('page', null);
  }

  changeSort() {
    this.sort = this.sortSelect.value;
    this.loadPage(true);
  }

  /** Show only the comments on one passage (by its key), or all of them (null). */
  showOnly(key) {
    this.only = key;
    this.loadPage(true);
  }

  async loadReplies(root) {
    const button = root.moreReplies;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    let first;
    try {
      const page = await api('GET',
        `/sites/${encodeURIComponent(this.site)}/comments/${root.c.id}/replies`,
        { query: { cursor: root.cursor } });
      root.cursor = page.next_cursor;
      for (const comment of page.comments) {
        const el = this.addReply(comment, root.c.id);
        first = first || el;
      }
      this.loadVotes();
      this.announce(this.t('loaded', { n: page.comments.length }));
    } catch (error) {
      this.announce(root.repliesError.textContent = error.status === 0 || error.status >= 500
        ? this.t('errLoad') : this.errorText(error));
      root.repliesError.hidden = false;
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      this.updateMoreReplies(root);
    }
    if (button.hidden && first) first.focus();
  }

  // -- rendering ----------------------------------------------------------------------
  renderComment(comment, rootId) {
    if (this.nodes.has(comment.id)) return null;
    const node = { c: comment, rootId, panel: null };
    node.rail = h('div', { class: 'rail' });
    node.head = h('div', { class: 'head' });
    // Reader text takes its direction from its own first letters, whatever the widget's.
    node.body = h('div', { class: 'body', dir: 'auto' });
    node.actions = h('div', { class: 'actions' });
    node.slot = h('div', { class: 'slot' });
    node.replies = h('div', { class: 'replies' });
    node.main = h('div', { class: 'main' },
      node.head, node.body, node.actions, node.slot, node.replies);
    node.el = h('article', { class: 'c', id: `c${comment.id}`, tabindex: '-1' },
      node.rail, node.main);
    node.el.classList.add(`depth-${Math.min(comment.depth, 9)}`);
    this.nodes.set(comment.id, node);
    this.fill(node);
    this.emit('comment', node);
    if (comment.depth === 0) {
      node.total = comment.replies_total;
      node.shown = 0;
      node.cursor = comment.replies_cursor;
      node.moreReplies = h('button', {
        type: 'button', class: 'link more-replies', hidden: true,
        onclick: () => this.loadReplies(node),
      });
      node.repliesError = h('p', { class: 'inline-error', hidden: true });
      node.main.append(node.moreReplies, node.repliesError);
    }
    for (const reply of comment.replies || []) this.addReply(reply, rootId);
    if (comment.depth === 0) this.updateMoreReplies(node);
    return node.el;
  }

  addReply(comment, rootId) {
    const parent = this.nodes.get(comment.parent_id) || this.nodes.get(rootId);
    const root = this.nodes.get(rootId);
    if (!parent || !root) return null;
    const el = this.renderComment(comment, rootId);
    if (!el) return null;
    parent.replies.append(el);
    parent.el.classList.add('has-replies');
    if (comment.status === 'visible') root.shown += 1;
    return el;
  }

  /** Whether a comment is in the thread on screen. */
  shows(id) {
    return this.nodes.has(id);
  }

  /** A comment that came after the page: at the top or bottom of the list (by the sort),
   *  or under its parent if that branch is on screen; its element, or null. */
  insert(c) {
    if (c.parent_id == null) {
      const el = this.renderComment(c, c.id);
      if (el) this.list[this.sort === 'newest' ? 'prepend' : 'append'](el);
      return el;
    }
    // A reply whose branch is not on screen comes with "more replies" instead.
    const parent = this.nodes.get(c.parent_id);
    const root = parent && this.nodes.get(parent.rootId);
    const el = root ? this.addReply(c, parent.rootId) : null;
    if (el) {
      root.total += 1;
      this.updateMoreReplies(root);
    }
    return el;
  }

  updateMoreReplies(root) {
    const remaining = root.total - root.shown;
    root.moreReplies.hidden = !root.cursor;
    root.moreReplies.textContent = remaining > 0
      ? this.t('moreReplies', { n: remaining }) : this.t('moreRepliesAny');
  }

  fill(node) {
    const { c } = node;
    const t = this.t;
    const gone = c.status !== 'visible' || !c.author;
    node.el.classList.toggle('is-deleted', gone);
    if (gone) {
      node.rail.replaceChildren(h('span', { class: 'avatar ghost', 'aria-hidden': 'true' }));
      node.head.replaceChildren();
      node.body.replaceChildren(h('p', { class: 'gone', text: t('deleted') }));
      node.actions.replaceChildren();
      node.el.removeAttribute('aria-labelledby');
      node.el.setAttribute('aria-label', t('deleted'));
      return;
    }
    const author = c.author;
    const nameId = `n${c.id}`;
    const name = isWebUrl(author.website)
      ? h('a', {
        class: 'name', id: nameId, dir: 'auto', href: author.website, target: '_blank',
        rel: 'nofollow ugc noopener noreferrer', text: author.name,
      })
      : h('span', { class: 'name', id: nameId, dir: 'auto', text: author.name });
    // The comment is an article named by its author and its time.
    node.el.setAttribute('aria-labelledby', `${nameId} t${c.id}`);
    node.rail.replaceChildren(avatar(author));
    const parts = [name];
    const own = this.own(c.id);
    if (own) parts.push(h('span', { class: 'badge', text: t('you') }));
    if (author.signed_in) parts.push(h('span', { class: 'badge', text: t('signedIn') }));
    const answered = c.reply_to_id && c.reply_to_id !== c.parent_id
      ? this.nodes.get(c.reply_to_id) : null;
    if (answered && answered.c.author) {
      parts.push(h('span', {
        class: 'reply-to', text: t('inReplyTo', { name: answered.c.author.name }),
      }));
    }
    const separator = () => h('span', { class: 'sep', 'aria-hidden': 'true', text: '·' });
    parts.push(separator(), h('time', {
      id: `t${c.id}`, datetime: c.created_at, title: this.i18n.exact(c.created_at),
      text: this.i18n.ago(c.created_at),
    }));
    if (c.edited_at) {
      parts.push(separator(), h('span', {
        class: 'edited', title: this.i18n.exact(c.edited_at), text: t('edited'),
      }));
    }
    node.head.replaceChildren(...parts);
    setBodyHtml(node.body, c.body_html);
    this.renderActions(node);
  }

  renderActions(node) {
    const { c } = node;
    const t = this.t;
    if (c.status !== 'visible') {
      node.actions.replaceChildren();
      return;
    }
    const own = this.own(c.id);
    const buttons = [];
    const action = (kind, label, open) => {
      const button = h('button', {
        type: 'button', class: `link ${kind}`, text: label, 'aria-expanded': 'false',
        onclick: () => this.togglePanel(node, kind, button, open),
      });
      return button;
    };
    if (this.config && this.config.votes && !own && !this.isLocked()) {
      buttons.push(...this.voteButtons(node));
    }
    if (!this.isLocked()) {
      buttons.push(action('reply', t('reply'), () => this.replyPanel(node)));
    }
    if (own) {
      buttons.push(action('edit', t('edit'), () => this.editPanel(node)));
      buttons.push(action('delete', t('delete'), () => this.deletePanel(node)));
    } else if (this.config && this.config.flags === true) {
      buttons.push(action('flag', t('flag'), () => this.flagPanel(node)));
    }
    node.actions.replaceChildren(...buttons);
  }

  isLocked() {
    return Boolean(this.thread && this.thread.is_locked);
  }

  own(id) {
    return storage.own(this.site, id) || this.mine(id);
  }

  refreshCount() {
    const n = this.thread ? this.thread.visible_count : 0;
    this.countHeading.textContent = n > 0 ? countText(this.i18n, n) : this.t('commentsTitle');
    this.sortBox.hidden = n < 2;
    if (!this.list.firstChild) {
      this.setNotice(this.isLocked() ? this.t('errClosed') : this.t('empty'));
    } else {
      this.setNotice(this.isLocked() ? this.t('errClosed') : '');
    }
    if (this.thread) setCounts(this.site, this.site, { [this.article]: n }, this.i18n);
  }

  changeCount(delta) {
    if (!this.thread) {
      this.thread = { article: this.article, is_locked: false, total_count: 0, visible_count: 0 };
    }
    this.thread.visible_count = Math.max(0, this.thread.visible_count + delta);
    this.refreshCount();
  }

  announce(text) {
    this.live.textContent = '';
    setTimeout(() => { this.live.textContent = text; }, 50);
  }

  tick() {
    for (const time of this.el.querySelectorAll('time[datetime]')) {
      time.textContent = this.i18n.ago(time.getAttribute('datetime'));
    }
    for (const node of this.nodes.values()) {
      if (node.actions.querySelector('.edit') && !this.own(node.c.id)) {
        this.closePanel(node);
        this.fill(node);
      }
    }
  }
}
