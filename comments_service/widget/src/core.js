/*! comments_service widget: plain ES2020, no build step. Its parts (this file first)
 * share one function scope; comments_service/widget/parts.py joins them in order.
 *
 * Embed:  <div id="comments" data-site="SITE" data-article="KEY"></div>
 *         <script src="https://comments.example/embed.js" async></script>
 * Counts: any element with data-comments-count="KEY" (and optionally data-site).
 *
 * Rules the widget keeps (tests/test_web.py and tests/widget check them):
 * - the only HTML inserted is the server's sanitized body_html (setBodyHtml); every
 *   other string a reader wrote goes in through textContent or checked attributes;
 * - no inline style, no eval: it runs under a strict Content-Security-Policy, with
 *   Trusted Types enforced if the page asks (policy name "comments-service");
 * - it lives in a shadow root, so the page's CSS and the widget's cannot meet.
 */

const NS = 'comments-service';
const GUARD = Symbol.for(NS);
if (window[GUARD]) return;
window[GUARD] = true;

// ---- where the service is: the origin (and path) this script came from ----------
const findOwnScript = () => {
  const scripts = document.querySelectorAll('script[src]');
  for (let i = scripts.length - 1; i >= 0; i--) {
    if (/\/embed\.js(?:[?#]|$)/.test(scripts[i].src)) return scripts[i];
  }
  return null;
};
const script = document.currentScript || findOwnScript();
if (!script) return;
const SRC = new URL(script.src, document.baseURI);
const BASE = SRC.origin + SRC.pathname.replace(/(?:js\/)?embed\.js$/, '');
const API = BASE + 'api/v1';
const COUNTS_PER_REQUEST = 100;
const REQUEST_TIMEOUT_MS = 15000;
const TICK_MS = 30000;

// ---- DOM, with text only: the one HTML sink is setBodyHtml -----------------------
const h = (tag, props, ...children) => {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child != null && child !== false) el.append(child);
  }
  return el;
};

let policy = null;
/** Insert the server's sanitized HTML (sanitize.py made it; nothing else is HTML here). */
const setBodyHtml = (el, html) => {
  if (window.trustedTypes && !policy) {
    try {
      policy = window.trustedTypes.createPolicy(NS, { createHTML: (server) => server });
    } catch (_) {
      policy = { createHTML: (server) => server };
    }
  }
  try {
    el.innerHTML = policy ? policy.createHTML(html) : html;
  } catch (_) {
    el.textContent = '';
  }
};

const isWebUrl = (url) => typeof url === 'string' && /^https?:\/\/[^\s]+$/i.test(url);

// Initials on a colour derived from the author's avatar hash: no third party involved.
const avatar = (author) => {
  if (/^https:\/\/\S+$/.test(author.picture || '')) {
    return h('img', { class: 'avatar', src: author.picture, alt: '', referrerpolicy: 'no-referrer' });
  }
  const seed = /^[0-9a-f]+$/i.test(author.avatar || '') ? author.avatar : '0';
  const hue = parseInt(seed.slice(0, 4), 16) % 360;
  const words = (author.name || '').trim().split(/\s+/).filter(Boolean);
  const initials = words.slice(0, 2).map((w) => Array.from(w)[0]).join('').toUpperCase();
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials || '?' });
  el.style.setProperty('--hue', String(hue));
  return el;
};
