// ---- counts for index pages: one request per site --------------------------------
const countText = (i18n, n) => i18n.t('comments', { n });

/** Fill count elements of `site`; those without data-site belong to `fallbackSite`. */
const setCounts = (site, fallbackSite, counts, i18n) => {
  for (const el of document.querySelectorAll('[data-comments-count]')) {
    const key = el.getAttribute('data-comments-count');
    if ((el.dataset.site || fallbackSite) !== site) continue;
    if (Object.prototype.hasOwnProperty.call(counts, key)) {
      el.textContent = countText(i18n, counts[key]);
      el.setAttribute('data-comments-count-value', String(counts[key]));
    }
  }
};

const fillCounts = async (host, i18n) => {
  const fallbackSite = host ? host.dataset.site : undefined;
  const bySite = new Map();
  for (const el of document.querySelectorAll('[data-comments-count]')) {
    const site = el.dataset.site || fallbackSite;
    const key = el.getAttribute('data-comments-count');
    if (!site || !key) continue;
    if (!bySite.has(site)) bySite.set(site, new Set());
    bySite.get(site).add(key);
  }
  for (const [site, keySet] of bySite) {
    const keys = [...keySet];
    for (let start = 0; start < keys.length; start += COUNTS_PER_REQUEST) {
      try {
        const data = await api('GET', `/sites/${encodeURIComponent(site)}/counts`,
          { query: { article: keys.slice(start, start + COUNTS_PER_REQUEST) } });
        setCounts(site, fallbackSite, data.counts, i18n);
      } catch (_) { /* keep the page's own text */ }
    }
  }
};
