// ---- edit tokens, kept in the host page's localStorage per site and comment ---------
const memory = new Map();
const storage = {
  key: (site, id) => `${NS}:${site}:${id}`,
  read(key) {
    try { return localStorage.getItem(key); } catch (_) { return memory.get(key) ?? null; }
  },
  write(key, value) {
    try { localStorage.setItem(key, value); } catch (_) { memory.set(key, value); }
  },
  drop(key) {
    try { localStorage.removeItem(key); } catch (_) { memory.delete(key); }
  },
  own(site, id) {
    const key = this.key(site, id);
    let entry = null;
    try { entry = JSON.parse(this.read(key)); } catch (_) { entry = null; }
    if (entry && typeof entry.token === 'string' && Date.parse(entry.until) > Date.now()) {
      return entry;
    }
    if (entry) this.drop(key);
    return null;
  },
  keep(site, id, entry) { this.write(this.key(site, id), JSON.stringify(entry)); },
  forget(site, id) { this.drop(this.key(site, id)); },
  /** Drop the tokens whose edit window has passed (keys NS:site:id, nothing else). */
  sweep() {
    const tokenKey = new RegExp(`^${NS}:[^:]+:\\d+$`);
    try {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const key = localStorage.key(i);
        if (!key || !tokenKey.test(key)) continue;
        let entry = null;
        try { entry = JSON.parse(localStorage.getItem(key)); } catch (_) { entry = null; }
        if (!entry || !(Date.parse(entry.until) > Date.now())) localStorage.removeItem(key);
      }
    } catch (_) { /* storage unavailable: nothing to sweep */ }
  },
};
