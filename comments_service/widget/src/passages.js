// ---- passages (issue 9): markers beside the article's passages, comments on them ------
// Passages live in the host page, the widget in its shadow root: each marker and each
// open panel is an element of its own with a shadow root, put beside its passage, so
// the page's styles and ours never meet. Quotes are reader text: textContent only.
const squash = (el) => el.textContent.replace(/\s+/g, ' ');
/** An automatic paragraph key: a hash (FNV-1a) of its opening words. */
const paragraphKey = (el) => {
  let hash = 0x811c9dc5;
  for (const ch of squash(el).trim().slice(0, 80)) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619);
  return `p-${(hash >>> 0).toString(36)}`;
};
/** Where an anchor's quote is in the element's text (-1: nowhere); of several, the one
 *  whose surroundings match most of its prefix and suffix (a TextQuoteSelector). */
const locate = (el, { quote, prefix, suffix }) => {
  const text = squash(el);
  let best = -1;
  let top = -1;
  for (let at = text.indexOf(quote); at >= 0; at = text.indexOf(quote, at + 1)) {
    let score = 0;
    while (score < prefix.length && text[at - 1 - score] === prefix[prefix.length - 1 - score]) score++;
    const end = at + quote.length;
    for (let i = 0; suffix[i] && text[end + i] === suffix[i]; i++) score++;
    if (score > top) [best, top] = [at, score];
  }
  return best;
};
/** The anchor of a selection in a passage (or of the whole passage), with context. */
const anchorIn = (el, range, rules) => {
  const whole = squash(el);
  let quote = whole;
  let near = 0;
  if (range) {
    const before = document.createRange();
    before.setStart(el, 0);
    before.setEnd(range.startContainer, range.startOffset);
    near = Math.max(0, before.toString().replace(/\s+/g, ' ').length - 1);
    quote = range.toString().replace(/\s+/g, ' ');
  }
  quote = quote.trim().slice(0, rules.max_quote_chars).trim();
  const at = Math.max(whole.indexOf(quote, near), whole.indexOf(quote));
  const end = at + quote.length;
  return quote && {
    quote,
    prefix: whole.slice(Math.max(0, at - rules.context_chars), at),
    suffix: whole.slice(end, end + rules.context_chars),
  };
};

class Passages {
  /** Follow a widget: passages start with a config that turns them on, then mark the
   *  thread's comments and move their markers as the reader posts and deletes. */
  static follow(widget) {
    let passages = null;
    widget.on('config', (config) => {
      if (passages || !(config.passages && config.passages.enabled)) return;
      passages = new Passages(widget);
      passages.start();
    });
    widget.on('comment', (node) => { if (passages) passages.decorate(node); });
    widget.on('posted', ({ comment, parent, root }) => {
      if (passages) passages.count(root && root.c.anchor, 1, !parent && comment);
    });
    widget.on('removed', ({ root }) => { if (passages) passages.count(root && root.c.anchor, -1); });
  }

  constructor(w) {
    this.w = w;
    this.rules = w.config.passages;
    this.byKey = new Map();
    let found = [...document.querySelectorAll('[data-comments-passage]')]
      .map((el) => [el.getAttribute('data-comments-passage'), el]);
    const mode = w.host.dataset.passages;
    this.auto = !found.length && mode !== 'off' && (mode === 'auto' || this.rules.auto_paragraphs);
    if (this.auto) {
      const article = document.querySelector(w.host.dataset.passagesRoot || 'article');
      found = [...(article ? article.querySelectorAll('p') : [])]
        .filter((p) => p.textContent.trim()).map((p) => [paragraphKey(p), p]);
    }
    for (const [key, el] of found) {
      if (/^[\w.:-]{1,100}$/.test(key) && !this.byKey.has(key)) this.byKey.set(key, { key, el, count: 0 });
    }
    this.all = [...this.byKey.values()];
    this.bar = h('button', {
      type: 'button', class: 'btn secondary', hidden: true, text: w.t('allComments'),
      onclick: () => this.filter(null),
    });
    w.list.before(this.bar);
  }

  async start() {
    if (!this.all.length) return;
    let data = { counts: {} };
    try {
      data = await api('GET', `/sites/${encodeURIComponent(this.w.site)}/passages`,
        { query: { article: this.w.article } });
    } catch (_) { /* markers without counts */ }
    for (const key in data.counts) {
      const passage = this.place(key, data.anchors[key]);
      if (passage) passage.count = data.counts[key];
    }
    for (const passage of this.all) this.mark(passage);
    document.addEventListener('selectionchange', () => this.selected());
  }

  /** The passage of an anchor: by its key, or (automatic paragraphs) by its text. */
  place(key, anchor) {
    let passage = this.byKey.get(key);
    if (!passage && this.auto && anchor) {
      passage = this.all.find((p) => locate(p.el, anchor) >= 0);
      // The paragraph takes the stored key: new comments join that discussion.
      if (passage) this.byKey.set(passage.key = key, passage);
    }
    return passage;
  }

  shadow(host, ...children) {
    host.attachShadow({ mode: 'open' })
      .append(h('link', { rel: 'stylesheet', href: `${BASE}embed.css` }), ...children);
    return host;
  }

  mark(passage) {
    const t = this.w.t;
    const n = passage.count;
    if (!passage.button) {
      passage.button = h('button', {
        type: 'button', class: 'mk', 'aria-expanded': 'false', onclick: () => this.open(passage),
      });
      passage.pick = h('button', {
        type: 'button', class: 'mk', hidden: true, text: t('commentOnThis'),
        onclick: () => this.open(passage, passage.pending),
      });
      passage.el.append(this.shadow(h('span', { 'data-comments-marker': '' }),
        h('span', { class: 'mks' }, passage.button, passage.pick)));
    }
    passage.button.textContent = n || '+';
    passage.button.setAttribute('aria-label', n ? t('passageCount', { n }) : t('passageAdd'));
  }

  /** A selection inside one passage offers "Comment on this" beside its marker. */
  selected() {
    const selection = document.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    const hit = this.all.find((p) => p.el.contains(range.commonAncestorContainer));
    if (hit) hit.pending = anchorIn(hit.el, range, this.rules);
    for (const p of this.all) if (p.pick) p.pick.hidden = p !== hit || !p.pending;
  }

  /** The passage's comments and a form, in place below it; again to close. */
  async open(passage, picked) {
    const w = this.w;
    const wasOpen = passage.panel;
    if (wasOpen) wasOpen.remove();
    passage.panel = null;
    passage.button.setAttribute('aria-expanded', 'false');
    passage.pick.hidden = true;
    const anchor = picked || (!wasOpen && anchorIn(passage.el, null, this.rules));
    if (!anchor) return passage.button.focus();
    const list = h('div');
    const composer = w.composer(null, { passage_key: passage.key, ...anchor });
    passage.list = list;
    passage.panel = this.shadow(h('div', { 'data-comments-panel': '' }), h('section', {
      class: 'cs pp', lang: w.el.lang, dir: w.el.dir, 'data-theme': w.el.dataset.theme,
      'aria-label': w.t('passageAdd'), onkeydown: (e) => e.key === 'Escape' && this.open(passage),
    }, h('div', { class: 'row' }, h('blockquote', { class: 'quote', dir: 'auto', text: anchor.quote }),
      h('button', { type: 'button', class: 'btn secondary', text: w.t('cancel'), onclick: () => this.open(passage) })),
    list, composer.form));
    passage.el.after(passage.panel);
    passage.button.setAttribute('aria-expanded', 'true');
    composer.body.focus();
    try {
      const page = await api('GET', `/sites/${encodeURIComponent(w.site)}/thread`,
        { query: { article: w.article, passage: passage.key, replies: 0 } });
      for (const c of page.comments) list.append(this.item(c));
    } catch (_) { /* the form still works */ }
  }

  /** A comment in a panel: drawn by the widget's own fill(), outside its main list. */
  item(c) {
    const part = (name) => h('div', { class: name });
    const node = { c, rootId: c.id, rail: part('rail'), head: part('head'), actions: part('actions'), slot: part('slot') };
    node.body = h('div', { class: 'body', dir: 'auto' });
    node.el = h('article', { class: 'c' }, node.rail,
      h('div', { class: 'main' }, node.head, node.body, node.actions, node.slot));
    this.w.fill(node);
    return node.el;
  }

  /** A comment of the main thread shows its quote, or says the passage has changed
   *  (not on a page that marks no passages at all: there is nothing to compare). */
  decorate(node) {
    const anchor = node.c.anchor;
    if (!anchor) return;
    const t = this.w.t;
    const passage = this.place(anchor.passage_key, anchor);
    const found = !this.all.length || (passage && locate(passage.el, anchor) >= 0);
    node.main.prepend(h('div', { class: 'pq' },
      h('blockquote', { class: 'quote', dir: 'auto', text: anchor.quote }),
      !found && h('p', { class: 'changed', text: t('passageChanged') }),
      !this.w.only && h('button', {
        type: 'button', class: 'link', text: t('onlyPassage'),
        onclick: () => this.filter(anchor.passage_key),
      })));
  }

  filter(key) {
    this.bar.hidden = !key;
    this.w.showOnly(key);
    // The button pressed goes with the old list: focus the way back, or the heading.
    (key ? this.bar : this.w.countHeading).focus();
  }

  /** A comment (or reply) posted or deleted here moves its passage's marker. */
  count(anchor, delta, comment) {
    const passage = anchor && this.place(anchor.passage_key, anchor);
    if (!passage) return;
    passage.count += delta;
    this.mark(passage);
    if (comment && passage.list) passage.list.append(this.item(comment));
  }
}
