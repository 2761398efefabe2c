// ---- readers who sign in (issue 21): a popup on the service's own origin ------------
// The popup (/auth/SITE/start) signs the reader in with the way chosen and hands back a
// service token by postMessage to this page's exact origin; only messages from the
// service's origin are taken. The token is kept in this page's own storage and sent as
// a bearer header on posts, edits, deletes and sign-out: no cookie crosses sites. A
// page with its own accounts passes its signed token in data-sso (services/sso.py).
const signKey = (site) => `${NS}:signin:${site}`;

Object.assign(Widget.prototype, {
  // The stored sign-in, while it has not expired.
  signedIn() {
    let me = null;
    try { me = JSON.parse(storage.read(signKey(this.site))); } catch (_) { me = null; }
    return me && Date.parse(me.expires_at) > Date.now() ? me : null;
  },

  setMe(me) {
    if (me) storage.write(signKey(this.site), JSON.stringify(me));
    else storage.drop(signKey(this.site));
    this.me = me;
    if (this.formSlot.firstChild) this.showComposer();
    for (const node of this.nodes.values()) this.fill(node);
  },

  // A signed-in reader's own comment, while the site's window for them is open.
  mine(id) {
    const node = this.nodes.get(id);
    const author = node && node.c.author;
    const window = this.config && this.config.sign_in;
    if (!this.me || !author || author.identity !== this.me.reader.id || !window) return null;
    const until = Date.parse(node.c.created_at) + window.edit_window_seconds * 1000;
    return until > Date.now() ? { bearer: this.me.token } : null;
  },

  // The sign-in bar above the form: who is signed in, or a button per way in.
  signInBar() {
    const t = this.t;
    const sign = this.config.sign_in;
    if (!sign || sign.mode === 'anonymous' || !sign.ways.length) return null;
    if (this.me) {
      return h('p', { class: 'signin' }, t('signedInAs', { name: this.me.reader.name }), ' ',
        h('button', { type: 'button', class: 'link signout', text: t('signOut'),
          onclick: () => this.signOut() }));
    }
    const popups = sign.ways.filter((way) => way.kind !== 'sso');
    return h('p', { class: 'signin' }, popups.map((way) => h('button', {
      type: 'button', class: 'btn secondary', text: t('signInWith', { name: way.label }),
      onclick: () => this.openSignIn(way.key),
    })));
  },

  openSignIn(way) {
    if (!this.listening) {
      this.listening = true;
      window.addEventListener('message', (event) => {
        const data = event.data;
        if (event.origin !== SRC.origin || !data || data.comments !== 'sign-in') return;
        this.setMe({ token: data.token, expires_at: data.expires_at, reader: data.reader });
        this.announce(this.t('signedInAs', { name: data.reader.name }));
      });
    }
    const query = new URLSearchParams({ way, origin: location.origin, lang: this.i18n.lang });
    window.open(`${BASE}auth/${encodeURIComponent(this.site)}/start?${query}`,
      'comments-sign-in', 'popup,width=520,height=680');
  },

  async signOut() {
    const me = this.me;
    this.setMe(null);
    try {
      await api('POST', `/sites/${encodeURIComponent(this.site)}/sign-out`,
        { bearer: me.token, body: {} });
    } catch (_) { /* already ended: nothing more to do */ }
  },

  // The site's own accounts: its page's signed token, exchanged once per page view.
  async siteSignIn() {
    const token = this.host.dataset.sso;
    const way = (this.config.sign_in?.ways || []).find((w) => w.kind === 'sso');
    if (!token || !way) return;
    try {
      const data = await api('POST',
        `/sites/${encodeURIComponent(this.site)}/sign-in/sso/${way.key}`, { body: { token } });
      this.setMe(data);
    } catch (_) { /* the site's token was refused: the reader stays as they were */ }
  },
});
