// ---- votes: the reader's random token (sent with votes and flags) ----------------------
const READER = `${NS}:reader`;
const readerToken = (create) => {
  let value = storage.read(READER);
  if (!/^[\w.~-]{16,256}$/.test(value || '') && create) {
    value = Array.from(crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, '0')).join('');
    storage.write(READER, value);
  }
  return value;
};
// ---- end votes ------------------------------------------------------------------------

// -- votes: up (and down, where the site takes them); a second click undoes ----------
Object.assign(Widget.prototype, {
  voteButtons(node) {
    const { c } = node;
    const mine = this.myVotes.get(c.id) || 0;
    const kinds = this.config.downvotes ? [[1, 'up'], [-1, 'down']] : [[1, 'up']];
    return kinds.map(([value, kind]) => {
      const n = value > 0 ? c.upvotes || 0 : c.downvotes || 0;
      return h('button', {
        type: 'button', class: `link vote ${kind}`, 'aria-pressed': String(mine === value),
        // Its name ("Up vote (3)") holds its visible text, the count; the arrow is CSS.
        'aria-label': this.t(kind, { n }), text: n, onclick: () => this.vote(node, value, kind),
      });
    });
  },

  async vote(node, value, kind) {
    const id = node.c.id;
    const undo = (this.myVotes.get(id) || 0) === value;
    const path = `/sites/${encodeURIComponent(this.site)}/comments/${id}/vote`;
    let data;
    try {
      data = await api(undo ? 'DELETE' : 'PUT', path,
        { body: undo ? undefined : { value }, reader: readerToken(true) });
    } catch (error) {
      const text = error.status === 429 ? this.t('errVoteRate')
        : error.code === 'address_vote_limit' ? this.t('errVoteTaken') : this.errorText(error);
      node.actions.querySelector('.vote-error')?.remove();
      node.actions.append(h('span', { class: 'inline-error vote-error', text }));
      this.announce(text);
      return;
    }
    this.myVotes.set(id, data.my_vote);
    node.c = { ...node.c, upvotes: data.upvotes, downvotes: data.downvotes, score: data.score };
    node.actions.querySelector('.vote-error')?.remove();
    this.refreshVotes(node);
    node.actions.querySelector(`.vote.${kind}`)?.focus();
  },

  /** Redraw a comment's vote buttons in place (an open reply panel keeps its opener). */
  refreshVotes(node) {
    const fresh = this.voteButtons(node);
    node.actions.querySelectorAll('.vote').forEach((old, i) => old.replaceWith(fresh[i]));
  },

  async loadVotes() {
    const reader = readerToken(false);
    if (!reader || !this.config || !this.config.votes) return;
    const ids = [...this.nodes.keys()].filter((id) => !this.myVotes.has(id));
    for (let start = 0; start < ids.length; start += 100) {
      const chunk = ids.slice(start, start + 100);
      try {
        const data = await api('GET', `/sites/${encodeURIComponent(this.site)}/my-votes`,
          { query: { comment: chunk }, reader });
        for (const id of chunk) this.myVotes.set(id, data.votes[id] || 0);
      } catch (_) { return; /* the counts still show; only the pressed state is missing */ }
      for (const id of chunk) {
        const node = this.nodes.get(id);
        if (node && this.myVotes.get(id)) this.refreshVotes(node);
      }
    }
  },
});
