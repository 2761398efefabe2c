/*! comments_service widget: plain ES2020, served as written (no build step).
 *
 * Embed:  <div id="comments" data-site="SITE" data-article="KEY"></div>
 *         <script src="https://comments.example/embed.js" async></script>
 * Counts: any element with data-comments-count="KEY" (and optionally data-site).
 *
 * Rules this file keeps (tests/test_web.py and tests/widget check them):
 * - the only HTML inserted is the server's sanitized body_html (setBodyHtml); every
 *   other string a reader wrote goes in through textContent or checked attributes;
 * - no inline style, no eval: it runs under a strict Content-Security-Policy, with
 *   Trusted Types enforced if the page asks (policy name "comments-service");
 * - it lives in a shadow root, so the page's CSS and the widget's cannot meet.
 */
(() => {
  'use strict';

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

  // ---- strings, one table per language ---------------------------------------------
  const STRINGS = {
    en: {
      heading: 'What do you think?',
      comments: { one: '{n} comment', other: '{n} comments' },
      commentsTitle: 'Comments',
      empty: 'No comments yet. Be the first to share your thoughts.',
      loading: 'Loading comments…',
      unavailable: 'Comments are unavailable right now. Please try again in a little while.',
      noSite: 'Comments are not set up for this page yet.',
      retry: 'Try again',
      bodyReply: 'Your reply to {name}',
      placeholder: 'Join the discussion…',
      name: 'Name',
      email: 'Email',
      optional: 'optional',
      emailNote: 'optional, never shown',
      myData: 'Your comments and data',
      hint: 'Markdown works: **bold**, _italic_, `code`, > quote, [link](https://…)',
      left: 'Characters left: {n}',
      post: 'Post comment',
      postReply: 'Post reply',
      posting: 'Posting…',
      save: 'Save',
      saving: 'Saving…',
      cancel: 'Cancel',
      reply: 'Reply',
      edit: 'Edit',
      delete: 'Delete',
      editLabel: 'Edit your comment',
      confirmDelete: 'Delete this comment? This cannot be undone.',
      deleted: 'This comment was deleted.',
      edited: 'edited',
      you: 'you',
      inReplyTo: 'replying to {name}',
      sortBy: 'Sort by',
      oldest: 'Oldest first',
      newest: 'Newest first',
      top: 'Top rated',
      loadMore: 'Load more comments',
      moreReplies: { one: 'Show {n} more reply', other: 'Show {n} more replies' },
      moreRepliesAny: 'Show more replies',
      posted: 'Your comment was posted.',
      held: 'Thanks! Your comment will appear once a moderator has approved it.',
      saved: 'Your changes were saved.',
      removed: 'Your comment was deleted.',
      loaded: { one: '{n} more comment loaded.', other: '{n} more comments loaded.' },
      newComments: { one: '{n} new comment', other: '{n} new comments' },
      justNow: 'just now',
      errLoad: 'More comments could not be loaded. Please try again.',
      errFields: 'Please check the fields marked below.',
      errEmpty: 'Write something first.',
      errRate: 'You are posting a little too quickly. Please wait a moment, then try again. Your text is still here.',
      errRateWait: {
        one: 'You are posting a little too quickly. Please wait {n} second, then try again. Your text is still here.',
        other: 'You are posting a little too quickly. Please wait {n} seconds, then try again. Your text is still here.',
      },
      errNetwork: 'We could not reach the comment service. Your text is still here, so please try again in a moment.',
      errServer: 'Something went wrong on our side. Your text is still here, so please try again.',
      errClosed: 'This discussion is closed to new comments.',
      errOrigin: 'This page is not allowed to post comments. Please let the site owner know.',
      errTooLong: 'That is too long to post.',
      errWindow: 'The time to edit or delete this comment has passed.',
      errGone: 'That comment is no longer there.',
      errBad: 'Something about this request was not right. Please reload the page and try again.',
      field_author_name: 'Please check your name.',
      field_author_email: 'Please give a valid email address.',
      field_body: 'Please check your comment.',
      field_notify: 'Please choose one of the options.',
      notify: 'Email me about',
      notifyNone: 'Nothing',
      notifyReplies: 'Replies to my comments',
      notifyAll: 'All new comments',
      flag: 'Report',
      flagTitle: 'Why are you reporting this comment?',
      spam: 'Spam',
      abuse: 'Abusive or hateful',
      off_topic: 'Off topic',
      other: 'Something else',
      flagText: 'Anything a moderator should know? (optional)',
      flagSend: 'Send report',
      flagThanks: 'Thank you. A moderator will take a look.',
      flagAlready: 'You have already reported this comment.',
      anonymous: 'Anonymous',
      up: 'Up vote ({n})',
      down: 'Down vote ({n})',
      errVoteRate: 'You are voting a little too quickly. Please wait a moment.',
      errVoteTaken: 'Someone on your network has already voted on this comment.',
    },
    de: {
      heading: 'Was denken Sie?',
      comments: { one: '{n} Kommentar', other: '{n} Kommentare' },
      commentsTitle: 'Kommentare',
      empty: 'Noch keine Kommentare. Schreiben Sie den ersten.',
      loading: 'Kommentare werden geladen …',
      unavailable: 'Die Kommentare sind gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal.',
      noSite: 'Für diese Seite sind noch keine Kommentare eingerichtet.',
      retry: 'Erneut versuchen',
      bodyReply: 'Ihre Antwort an {name}',
      placeholder: 'Diskutieren Sie mit …',
      name: 'Name',
      email: 'E-Mail',
      optional: 'optional',
      emailNote: 'optional, wird nie angezeigt',
      myData: 'Ihre Kommentare und Daten',
      hint: 'Markdown geht: **fett**, _kursiv_, `Code`, > Zitat, [Link](https://…)',
      left: 'Verbleibende Zeichen: {n}',
      post: 'Kommentar senden',
      postReply: 'Antwort senden',
      posting: 'Wird gesendet …',
      save: 'Speichern',
      saving: 'Wird gespeichert …',
      cancel: 'Abbrechen',
      reply: 'Antworten',
      edit: 'Bearbeiten',
      delete: 'Löschen',
      editLabel: 'Kommentar bearbeiten',
      confirmDelete: 'Diesen Kommentar löschen? Das lässt sich nicht rückgängig machen.',
      deleted: 'Dieser Kommentar wurde gelöscht.',
      edited: 'bearbeitet',
      you: 'Sie',
      inReplyTo: 'Antwort an {name}',
      sortBy: 'Sortieren',
      oldest: 'Älteste zuerst',
      newest: 'Neueste zuerst',
      top: 'Beliebteste',
      loadMore: 'Weitere Kommentare laden',
      moreReplies: { one: '{n} weitere Antwort anzeigen', other: '{n} weitere Antworten anzeigen' },
      moreRepliesAny: 'Weitere Antworten anzeigen',
      posted: 'Ihr Kommentar wurde veröffentlicht.',
      held: 'Danke! Ihr Kommentar erscheint, sobald ihn eine Moderatorin oder ein Moderator freigegeben hat.',
      saved: 'Ihre Änderungen wurden gespeichert.',
      removed: 'Ihr Kommentar wurde gelöscht.',
      loaded: { one: '{n} weiterer Kommentar geladen.', other: '{n} weitere Kommentare geladen.' },
      newComments: { one: '{n} neuer Kommentar', other: '{n} neue Kommentare' },
      up: 'Positiv bewerten ({n})',
      down: 'Negativ bewerten ({n})',
      errVoteRate: 'Sie stimmen etwas zu schnell ab. Bitte warten Sie einen Moment.',
      errVoteTaken: 'Jemand in Ihrem Netzwerk hat diesen Kommentar bereits bewertet.',
      justNow: 'gerade eben',
      errLoad: 'Weitere Kommentare konnten nicht geladen werden. Bitte versuchen Sie es erneut.',
      errFields: 'Bitte prüfen Sie die markierten Felder.',
      errEmpty: 'Bitte schreiben Sie zuerst etwas.',
      errRate: 'Sie schreiben gerade etwas zu schnell. Bitte warten Sie einen Moment und versuchen Sie es dann erneut. Ihr Text bleibt erhalten.',
      errRateWait: {
        one: 'Sie schreiben gerade etwas zu schnell. Bitte warten Sie {n} Sekunde und versuchen Sie es dann erneut. Ihr Text bleibt erhalten.',
        other: 'Sie schreiben gerade etwas zu schnell. Bitte warten Sie {n} Sekunden und versuchen Sie es dann erneut. Ihr Text bleibt erhalten.',
      },
      errNetwork: 'Der Kommentardienst ist gerade nicht erreichbar. Ihr Text bleibt erhalten, bitte versuchen Sie es gleich noch einmal.',
      errServer: 'Bei uns ist etwas schiefgegangen. Ihr Text bleibt erhalten, bitte versuchen Sie es noch einmal.',
      errClosed: 'Diese Diskussion ist für neue Kommentare geschlossen.',
      errOrigin: 'Von dieser Seite aus können keine Kommentare gesendet werden. Bitte geben Sie dem Betreiber Bescheid.',
      errTooLong: 'Das ist zu lang zum Senden.',
      errWindow: 'Die Zeit zum Bearbeiten oder Löschen dieses Kommentars ist abgelaufen.',
      errGone: 'Diesen Kommentar gibt es nicht mehr.',
      errBad: 'Mit dieser Anfrage stimmte etwas nicht. Bitte laden Sie die Seite neu und versuchen Sie es erneut.',
      field_author_name: 'Bitte prüfen Sie Ihren Namen.',
      field_author_email: 'Bitte geben Sie eine gültige E-Mail-Adresse an.',
      field_body: 'Bitte prüfen Sie Ihren Kommentar.',
      field_notify: 'Bitte wählen Sie eine der Möglichkeiten.',
      notify: 'Per E-Mail benachrichtigen über',
      notifyNone: 'Nichts',
      notifyReplies: 'Antworten auf meine Kommentare',
      notifyAll: 'Alle neuen Kommentare',
      flag: 'Melden',
      flagTitle: 'Warum melden Sie diesen Kommentar?',
      spam: 'Spam',
      abuse: 'Beleidigend oder hasserfüllt',
      off_topic: 'Am Thema vorbei',
      other: 'Etwas anderes',
      flagText: 'Möchten Sie der Moderation etwas mitteilen? (optional)',
      flagSend: 'Meldung senden',
      flagThanks: 'Danke. Die Moderation sieht sich das an.',
      flagAlready: 'Sie haben diesen Kommentar bereits gemeldet.',
      anonymous: 'Anonym',
    },
    ar: {
      heading: 'ما رأيك؟',
      comments: {
        zero: 'لا توجد تعليقات', one: 'تعليق واحد', two: 'تعليقان',
        few: '{n} تعليقات', many: '{n} تعليقًا', other: '{n} تعليق',
      },
      commentsTitle: 'التعليقات',
      empty: 'لا توجد تعليقات بعد. كن أول من يشارك رأيه.',
      loading: 'جارٍ تحميل التعليقات…',
      unavailable: 'التعليقات غير متاحة الآن. يُرجى المحاولة مرة أخرى بعد قليل.',
      noSite: 'لم يتم إعداد التعليقات لهذه الصفحة بعد.',
      retry: 'أعد المحاولة',
      bodyReply: 'ردك على {name}',
      placeholder: 'شارك في النقاش…',
      name: 'الاسم',
      email: 'البريد الإلكتروني',
      optional: 'اختياري',
      emailNote: 'اختياري، ولن يظهر أبدًا',
      myData: 'تعليقاتك وبياناتك',
      hint: 'يمكنك استخدام Markdown: **عريض**، _مائل_، `شيفرة`، > اقتباس، [رابط](https://…)',
      left: 'الأحرف المتبقية: {n}',
      post: 'انشر التعليق',
      postReply: 'انشر الرد',
      posting: 'جارٍ النشر…',
      save: 'حفظ',
      saving: 'جارٍ الحفظ…',
      cancel: 'إلغاء',
      reply: 'رد',
      edit: 'تعديل',
      delete: 'حذف',
      editLabel: 'عدّل تعليقك',
      confirmDelete: 'هل تريد حذف هذا التعليق؟ لا يمكن التراجع عن ذلك.',
      deleted: 'تم حذف هذا التعليق.',
      edited: 'معدَّل',
      you: 'أنت',
      inReplyTo: 'ردًا على {name}',
      sortBy: 'الترتيب',
      oldest: 'الأقدم أولًا',
      newest: 'الأحدث أولًا',
      top: 'الأعلى تقييمًا',
      loadMore: 'تحميل المزيد من التعليقات',
      moreReplies: 'عرض ردود أخرى ({n})',
      moreRepliesAny: 'عرض المزيد من الردود',
      posted: 'تم نشر تعليقك.',
      held: 'شكرًا! سيظهر تعليقك بعد أن يوافق عليه أحد المشرفين.',
      saved: 'تم حفظ التعديلات.',
      removed: 'تم حذف تعليقك.',
      loaded: 'تم تحميل تعليقات إضافية ({n}).',
      up: 'تصويت إيجابي ({n})',
      down: 'تصويت سلبي ({n})',
      errVoteRate: 'أنت تصوّت بسرعة كبيرة. يُرجى الانتظار قليلًا.',
      errVoteTaken: 'صوّت شخص على شبكتك على هذا التعليق بالفعل.',
      newComments: {
        one: 'تعليق جديد واحد', two: 'تعليقان جديدان', few: '{n} تعليقات جديدة',
        many: '{n} تعليقًا جديدًا', other: '{n} تعليق جديد',
      },
      justNow: 'الآن',
      errLoad: 'تعذّر تحميل المزيد من التعليقات. يُرجى المحاولة مرة أخرى.',
      errFields: 'يُرجى مراجعة الحقول المحددة أدناه.',
      errEmpty: 'اكتب شيئًا أولًا.',
      errRate: 'أنت تنشر بسرعة كبيرة. يُرجى الانتظار قليلًا ثم المحاولة مرة أخرى. نصك ما زال هنا.',
      errRateWait: 'أنت تنشر بسرعة كبيرة. يُرجى المحاولة مرة أخرى بعد {n} ثانية. نصك ما زال هنا.',
      errNetwork: 'تعذّر الوصول إلى خدمة التعليقات. نصك ما زال هنا، فحاول مرة أخرى بعد قليل.',
      errServer: 'حدث خطأ من جهتنا. نصك ما زال هنا، فحاول مرة أخرى.',
      errClosed: 'هذا النقاش مغلق أمام التعليقات الجديدة.',
      errOrigin: 'لا يُسمح لهذه الصفحة بنشر التعليقات. يُرجى إبلاغ صاحب الموقع.',
      errTooLong: 'النص أطول من أن يُنشر.',
      errWindow: 'انتهت مهلة تعديل هذا التعليق أو حذفه.',
      errGone: 'هذا التعليق لم يعد موجودًا.',
      errBad: 'حدث خطأ في هذا الطلب. يُرجى إعادة تحميل الصفحة والمحاولة مرة أخرى.',
      field_author_name: 'يُرجى التحقق من اسمك.',
      field_author_email: 'يُرجى إدخال بريد إلكتروني صالح.',
      field_body: 'يُرجى مراجعة تعليقك.',
      field_notify: 'يُرجى اختيار أحد الخيارات.',
      notify: 'راسلني بشأن',
      notifyNone: 'لا شيء',
      notifyReplies: 'الردود على تعليقاتي',
      notifyAll: 'كل التعليقات الجديدة',
      flag: 'إبلاغ',
      flagTitle: 'لماذا تبلغ عن هذا التعليق؟',
      spam: 'رسائل مزعجة',
      abuse: 'مسيء أو يحض على الكراهية',
      off_topic: 'خارج الموضوع',
      other: 'سبب آخر',
      flagText: 'هل هناك ما يجب أن يعرفه المشرف؟ (اختياري)',
      flagSend: 'أرسل البلاغ',
      flagThanks: 'شكرًا لك. سيطّلع عليه أحد المشرفين.',
      flagAlready: 'لقد أبلغت عن هذا التعليق من قبل.',
      anonymous: 'مجهول',
    },
  };
  // preview and feeds (issue 22)
  const PREVIEW_STRINGS = {
    en: {
      preview: 'Preview',
      previewEmpty: 'Nothing to preview yet.',
      feed: 'Feed of new comments',
    },
    de: {
      preview: 'Vorschau',
      previewEmpty: 'Noch nichts für eine Vorschau.',
      feed: 'Feed neuer Kommentare',
    },
    ar: {
      preview: 'معاينة',
      previewEmpty: 'لا يوجد ما يمكن معاينته بعد.',
      feed: 'خلاصة التعليقات الجديدة',
    },
  };
  for (const lang in PREVIEW_STRINGS) Object.assign(STRINGS[lang], PREVIEW_STRINGS[lang]);
  const RTL = new Set(['ar', 'he', 'fa', 'ur']);
  const FLAG_REASONS = ['spam', 'abuse', 'off_topic', 'other'];
  const NOTIFY_CHOICES = [['none', 'notifyNone'], ['replies', 'notifyReplies'], ['all', 'notifyAll']];

  /** The first language with a table among data-lang, <html lang> and the browser's. */
  const pickLang = (host) => {
    const wanted = [host && host.dataset.lang, document.documentElement.lang, navigator.language];
    for (const tag of wanted) {
      const base = (tag || '').toLowerCase().split(/[-_]/)[0];
      if (STRINGS[base]) return base;
    }
    return 'en';
  };

  const makeI18n = (lang) => {
    const table = STRINGS[lang];
    const plural = new Intl.PluralRules(lang);
    const number = new Intl.NumberFormat(lang);
    const relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
    const exact = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' });
    const t = (key, vars = {}) => {
      let text = table[key] ?? STRINGS.en[key];
      if (typeof text === 'object') text = text[plural.select(vars.n)] ?? text.other;
      return text.replace(/\{(\w+)\}/g, (_, name) => (
        name === 'n' ? number.format(vars.n) : String(vars[name] ?? '')));
    };
    const UNITS = [['year', 31536000], ['month', 2592000], ['week', 604800],
      ['day', 86400], ['hour', 3600], ['minute', 60]];
    const ago = (iso) => {
      const seconds = (Date.parse(iso) - Date.now()) / 1000;
      if (Math.abs(seconds) < 45) return t('justNow');
      for (const [unit, size] of UNITS) {
        if (Math.abs(seconds) >= size || unit === 'minute') {
          return relative.format(Math.round(seconds / size), unit);
        }
      }
      return '';
    };
    return { lang, t, ago, exact: (iso) => exact.format(new Date(iso)) };
  };

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
    const seed = /^[0-9a-f]+$/i.test(author.avatar || '') ? author.avatar : '0';
    const hue = parseInt(seed.slice(0, 4), 16) % 360;
    const words = (author.name || '').trim().split(/\s+/).filter(Boolean);
    const initials = words.slice(0, 2).map((w) => Array.from(w)[0]).join('').toUpperCase();
    const el = h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials || '?' });
    el.style.setProperty('--hue', String(hue));
    return el;
  };

  // ---- the API -----------------------------------------------------------------------
  class ApiFailure extends Error {
    constructor(status, code, fields = {}, retryAfter = 0) {
      super(code);
      this.status = status;
      this.code = code;
      this.fields = fields;
      this.retryAfter = retryAfter;
    }
  }

  const retryAfterSeconds = (header) => {
    if (!header) return 0;
    if (/^\d+$/.test(header)) return parseInt(header, 10);
    const when = Date.parse(header);
    return Number.isNaN(when) ? 0 : Math.max(0, Math.ceil((when - Date.now()) / 1000));
  };

  const api = async (method, path, { query, body, token, reader } = {}) => {
    const url = new URL(API + path);
    for (const [key, value] of Object.entries(query || {})) {
      for (const item of [].concat(value)) {
        if (item != null && item !== '') url.searchParams.append(key, item);
      }
    }
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers['X-Edit-Token'] = token;
    if (reader) headers['X-Reader-Token'] = reader;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url.href, {
        method, headers, mode: 'cors', credentials: 'omit', signal: abort.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new ApiFailure(0, 'network');
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiFailure(response.status, error.code || `http_${response.status}`,
        error.fields || {}, retryAfterSeconds(response.headers.get('Retry-After')));
    }
    return data;
  };

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

  const fillCounts = async (host) => {
    const fallbackSite = host ? host.dataset.site : undefined;
    const bySite = new Map();
    for (const el of document.querySelectorAll('[data-comments-count]')) {
      const site = el.dataset.site || fallbackSite;
      const key = el.getAttribute('data-comments-count');
      if (!site || !key) continue;
      if (!bySite.has(site)) bySite.set(site, new Set());
      bySite.get(site).add(key);
    }
    const i18n = makeI18n(pickLang(host));
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

  // ---- the thread widget --------------------------------------------------------------
  class Widget {
    constructor(host) {
      const data = host.dataset;
      this.host = host;
      this.site = data.site || '';
      this.article = data.article || location.pathname;
      this.title = data.title || document.title || undefined;
      const canonical = document.querySelector('link[rel="canonical"]');
      this.url = data.url || (canonical && canonical.href) || location.href.split('#')[0];
      this.i18n = makeI18n(pickLang(host));
      this.t = this.i18n.t;
      this.sort = 'oldest';
      this.nodes = new Map();
      this.identity = { name: storage.read(`${NS}:name`) || '', email: '' };
      this.uid = 0;
      this.generation = 0;
      this.myVotes = new Map();

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
      this.countHeading = h('h2', { class: 'count', text: this.t('commentsTitle') });
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
      this.moreError = h('p', { class: 'inline-error', role: 'alert', hidden: true });
      this.el.append(
        this.live, this.formSlot,
        h('div', { class: 'bar' }, this.countHeading, this.sortBox),
        this.notice, this.list, h('div', { class: 'foot' }, this.moreButton, this.moreError),
      );
      setInterval(() => this.tick(), TICK_MS);
    }

    // -- loading --------------------------------------------------------------------
    async start() {
      this.setNotice(this.t('loading'));
      if (!this.site) {
        this.setNotice(this.t('noSite'));
        return;
      }
      // The first page is asked for together with the config, not after it: one round
      // trip to the first comment instead of two. Its failure is handled by loadPage.
      const first = this.fetchPage({ article: this.article, sort: this.sort });
      first.catch(() => {});
      try {
        this.config = await api('GET', `/sites/${encodeURIComponent(this.site)}/config`);
      } catch (error) {
        this.failed(error);
        return;
      }
      if (this.config.reader_data === true) this.showDataLink();
      if (this.config.feeds === true) this.showFeedLink();
      const passages = this.config.passages;
      if (passages && passages.enabled && !this.passages) {
        this.passages = new Passages(this);
        this.passages.start();
      }
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
        href: `${BASE}my-data?site=${encodeURIComponent(this.site)}`,
      });
      this.el.append(h('p', { class: 'data-link' }, this.dataLink));
    }

    // -- preview (issue 22): the body as the server would store it ---------------------
    // A toggle button (aria-pressed) before the form's submit button shows, in place of
    // the textarea, a labelled region holding the server's rendering (POST .../preview:
    // sanitize.py's HTML, inserted only through setBodyHtml). The textarea is only
    // hidden, never emptied, so switching back finds the text as it was; focus stays
    // on the toggle while previewing and returns to the textarea afterwards.
    addPreview(form, textarea, submit) {
      const region = h('div', {
        class: 'preview body', role: 'region', 'aria-label': this.t('preview'),
        'aria-live': 'polite', hidden: true,
      });
      let asked = 0;
      let shown = false;
      // on: show the server's rendering of the text; off: back to the (untouched) text.
      const set = async (on) => {
        const ticket = ++asked;
        const text = on && textarea.value.trim();
        shown = on;
        toggle.setAttribute('aria-pressed', on);
        textarea.hidden = on;
        region.hidden = !on;
        region.textContent = on && !text ? this.t('previewEmpty') : '';
        if (!text) return;
        try {
          const data = await api('POST', `/sites/${encodeURIComponent(this.site)}/preview`,
            { body: { body: textarea.value } });
          if (ticket === asked) setBodyHtml(region, data.body_html);
        } catch (error) {
          if (ticket === asked) region.textContent = this.errorText(error);
        }
      };
      const toggle = h('button', {
        type: 'button', class: 'btn secondary', text: this.t('preview'), 'aria-pressed': 'false',
        onclick: () => { set(!shown); if (!shown) textarea.focus(); },
      });
      // Sending goes back to writing first, so errors point at a visible textarea.
      form.addEventListener('submit', () => set(false));
      textarea.after(region);
      submit.before(toggle);
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
      if (this.passages && this.passages.only) query.passage = this.passages.only;
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
          this.moreError.textContent = error.status === 0 || error.status >= 500
            ? this.t('errLoad') : this.errorText(error);
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
      for (const comment of page.comments) {
        const el = this.renderComment(comment, comment.id);
        if (el) {
          this.list.append(el);
          added += 1;
        }
      }
      this.moreButton.hidden = !this.cursor;
      this.refreshCount();
      this.loadVotes();
      if (!reset) this.announce(this.t('loaded', { n: added }));
      if (!this.feed) this.feed = new Feed(this);
    }

    changeSort() {
      this.sort = this.sortSelect.value;
      this.loadPage(true);
    }

    async loadReplies(root) {
      const button = root.moreReplies;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      try {
        const page = await api('GET',
          `/sites/${encodeURIComponent(this.site)}/comments/${root.c.id}/replies`,
          { query: { cursor: root.cursor } });
        root.cursor = page.next_cursor;
        for (const comment of page.comments) this.addReply(comment, root.c.id);
        this.loadVotes();
        this.announce(this.t('loaded', { n: page.comments.length }));
      } catch (error) {
        root.repliesError.textContent = error.status === 0 || error.status >= 500
          ? this.t('errLoad') : this.errorText(error);
        root.repliesError.hidden = false;
      } finally {
        button.disabled = false;
        button.removeAttribute('aria-busy');
        this.updateMoreReplies(root);
      }
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
      if (this.passages) this.passages.decorate(node);
      if (comment.depth === 0) {
        node.total = comment.replies_total;
        node.shown = 0;
        node.cursor = comment.replies_cursor;
        node.moreReplies = h('button', {
          type: 'button', class: 'link more-replies', hidden: true,
          onclick: () => this.loadReplies(node),
        });
        node.repliesError = h('p', { class: 'inline-error', role: 'alert', hidden: true });
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
      node.el.setAttribute('aria-labelledby', nameId);
      node.rail.replaceChildren(avatar(author));
      const parts = [name];
      const own = this.own(c.id);
      if (own) parts.push(h('span', { class: 'badge', text: t('you') }));
      const answered = c.reply_to_id && c.reply_to_id !== c.parent_id
        ? this.nodes.get(c.reply_to_id) : null;
      if (answered && answered.c.author) {
        parts.push(h('span', {
          class: 'reply-to', text: t('inReplyTo', { name: answered.c.author.name }),
        }));
      }
      const separator = () => h('span', { class: 'sep', 'aria-hidden': 'true', text: '·' });
      parts.push(separator(), h('time', {
        datetime: c.created_at, title: this.i18n.exact(c.created_at),
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

    // -- votes: up (and down, where the site takes them); a second click undoes ----------
    voteButtons(node) {
      const { c } = node;
      const mine = this.myVotes.get(c.id) || 0;
      const kinds = this.config.downvotes ? [[1, 'up', '▲'], [-1, 'down', '▼']] : [[1, 'up', '▲']];
      return kinds.map(([value, kind, mark]) => {
        const n = value > 0 ? c.upvotes || 0 : c.downvotes || 0;
        return h('button', {
          type: 'button', class: `link vote ${kind}`, 'aria-pressed': String(mine === value),
          'aria-label': this.t(kind, { n }), onclick: () => this.vote(node, value, kind),
        }, h('span', { 'aria-hidden': 'true', text: `${mark} ${n}` }));
      });
    }

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
        node.actions.append(h('span', { class: 'inline-error vote-error', role: 'alert', text }));
        return;
      }
      this.myVotes.set(id, data.my_vote);
      node.c = { ...node.c, upvotes: data.upvotes, downvotes: data.downvotes, score: data.score };
      node.actions.querySelector('.vote-error')?.remove();
      this.refreshVotes(node);
      node.actions.querySelector(`.vote.${kind}`)?.focus();
    }

    /** Redraw a comment's vote buttons in place (an open reply panel keeps its opener). */
    refreshVotes(node) {
      const fresh = this.voteButtons(node);
      node.actions.querySelectorAll('.vote').forEach((old, i) => old.replaceWith(fresh[i]));
    }

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
    }
    // -- end votes ----------------------------------------------------------------------

    isLocked() {
      return Boolean(this.thread && this.thread.is_locked);
    }

    own(id) {
      return storage.own(this.site, id);
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

    // -- panels under a comment: reply, edit, delete, report ------------------------------
    togglePanel(node, kind, button, open) {
      if (node.panel === kind) {
        this.closePanel(node);
        button.focus();
        return;
      }
      this.closePanel(node);
      node.panel = kind;
      node.opener = button;
      button.setAttribute('aria-expanded', 'true');
      const focusTarget = open();
      if (focusTarget) focusTarget.focus();
    }

    closePanel(node) {
      node.slot.replaceChildren();
      node.body.hidden = false;
      if (node.opener) node.opener.setAttribute('aria-expanded', 'false');
      node.panel = null;
      node.opener = null;
    }

    replyPanel(node) {
      const composer = this.composer(node);
      node.slot.append(composer.form);
      return composer.body;
    }

    editPanel(node) {
      const own = this.own(node.c.id);
      if (!own) return null;
      const t = this.t;
      const id = `e${++this.uid}`;
      const text = h('textarea', {
        id, dir: 'auto', rows: 4, maxlength: this.config.max_body_chars,
      });
      text.value = typeof own.body === 'string' ? own.body : node.body.textContent;
      const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
      const save = h('button', { type: 'submit', class: 'btn primary', text: t('save') });
      const form = h('form', { class: 'panel edit-form', novalidate: true },
        h('label', { class: 'small-label', for: id, text: t('editLabel') }), text, alert,
        h('div', { class: 'row end' },
          h('button', {
            type: 'button', class: 'btn secondary', text: t('cancel'),
            onclick: () => { this.closePanel(node); node.actions.querySelector('.edit').focus(); },
          }),
          save));
      this.addPreview(form, text, save);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!text.value.trim()) {
          this.showAlert(alert, t('errEmpty'));
          text.focus();
          return;
        }
        const entry = this.own(node.c.id);
        if (!entry) {
          this.showAlert(alert, t('errWindow'));
          return;
        }
        this.busy(save, t('saving'));
        try {
          const data = await api('PATCH',
            `/sites/${encodeURIComponent(this.site)}/comments/${node.c.id}`,
            { body: { body: text.value }, token: entry.token });
          storage.keep(this.site, node.c.id, { ...entry, body: text.value });
          node.c = { ...node.c, body_html: data.comment.body_html, edited_at: data.comment.edited_at };
          this.closePanel(node);
          this.fill(node);
          this.announce(t('saved'));
          node.actions.querySelector('.edit').focus();
        } catch (error) {
          this.idle(save, t('save'));
          this.showAlert(alert, this.errorText(error));
        }
      });
      node.body.hidden = true;
      node.slot.append(form);
      return text;
    }

    deletePanel(node) {
      const t = this.t;
      const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
      const confirm = h('button', {
        type: 'button', class: 'btn danger', text: t('delete'),
        onclick: () => this.remove(node, confirm, alert),
      });
      node.slot.append(h('div', { class: 'panel confirm', role: 'group' },
        h('p', { text: t('confirmDelete') }), alert,
        h('div', { class: 'row end' },
          h('button', {
            type: 'button', class: 'btn secondary', text: t('cancel'),
            onclick: () => { this.closePanel(node); node.actions.querySelector('.delete').focus(); },
          }),
          confirm)));
      return confirm;
    }

    async remove(node, button, alert) {
      const entry = this.own(node.c.id);
      if (!entry) {
        this.showAlert(alert, this.t('errWindow'));
        return;
      }
      this.busy(button, this.t('delete'));
      let data;
      try {
        data = await api('DELETE',
          `/sites/${encodeURIComponent(this.site)}/comments/${node.c.id}`, { token: entry.token });
      } catch (error) {
        this.idle(button, this.t('delete'));
        this.showAlert(alert, this.errorText(error));
        return;
      }
      storage.forget(this.site, node.c.id);
      const root = this.nodes.get(node.rootId);
      if (this.passages) this.passages.count(root && root.c.anchor, -1);
      if (node.c.depth > 0 && root) {
        root.total -= 1;
        root.shown -= 1;
      }
      this.closePanel(node);
      if (data.placeholder) {
        node.c = { ...node.c, status: 'deleted', author: null, body_html: '' };
        this.fill(node);
        node.el.focus();
      } else {
        const parentEl = node.el.parentElement;
        const focusTo = node.el.closest('.replies') ? node.el.parentElement.closest('.c') : null;
        node.el.remove();
        this.nodes.delete(node.c.id);
        if (parentEl && !parentEl.firstChild) {
          const owner = parentEl.closest('.c');
          if (owner) owner.classList.remove('has-replies');
        }
        (focusTo || this.countHeading).setAttribute('tabindex', '-1');
        (focusTo || this.countHeading).focus();
      }
      if (root) this.updateMoreReplies(root);
      this.changeCount(-1);
      this.announce(this.t('removed'));
    }

    flagPanel(node) {
      const t = this.t;
      const uid = ++this.uid;
      const reasons = FLAG_REASONS.map((reason, index) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name: `reason${uid}`, value: reason, checked: index === 0 }),
        h('span', { text: t(reason) })));
      const detailId = `d${uid}`;
      const detail = h('textarea', { id: detailId, dir: 'auto', rows: 2, maxlength: 1000 });
      const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
      const send = h('button', { type: 'submit', class: 'btn primary', text: t('flagSend') });
      const form = h('form', { class: 'panel flag-form', novalidate: true },
        h('fieldset', null, h('legend', { text: t('flagTitle') }), reasons),
        h('label', { class: 'small-label', for: detailId, text: t('flagText') }), detail, alert,
        h('div', { class: 'row end' },
          h('button', {
            type: 'button', class: 'btn secondary', text: t('cancel'),
            onclick: () => { this.closePanel(node); node.actions.querySelector('.flag').focus(); },
          }),
          send));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const chosen = form.querySelector('input[type="radio"]:checked');
        this.busy(send, t('flagSend'));
        let message;
        try {
          await api('POST',
            `/sites/${encodeURIComponent(this.site)}/comments/${node.c.id}/flags`,
            { body: { reason: chosen ? chosen.value : 'other', text: detail.value },
              reader: readerToken(true) });
          message = t('flagThanks');
        } catch (error) {
          if (error.code !== 'already_flagged') {
            this.idle(send, t('flagSend'));
            this.showAlert(alert, this.errorText(error));
            return;
          }
          message = t('flagAlready');
        }
        const done = h('p', { class: 'panel thanks', role: 'status', tabindex: '-1', text: message });
        node.slot.replaceChildren(done);
        done.focus();
      });
      node.slot.append(form);
      return form.querySelector('input[type="radio"]');
    }

    // -- the form: a new comment, or a reply under `parent` ------------------------------
    showComposer() {
      if (this.isLocked()) return;
      const composer = this.composer(null);
      this.formSlot.replaceChildren(composer.form);
    }

    composer(parent, anchor) {
      const t = this.t;
      const config = this.config;
      const uid = ++this.uid;
      const idFor = (name) => `f${uid}-${name}`;
      const fields = {};
      const field = (apiName, label, input, note) => {
        input.id = idFor(apiName);
        const error = h('p', { class: 'field-error', id: idFor(`${apiName}-error`), hidden: true });
        fields[apiName] = { input, error };
        return h('div', { class: `field field-${apiName}` },
          h('label', { for: input.id }, label, note ? [' ', h('span', { class: 'note', text: note })] : null),
          input, error);
      };

      const body = h('textarea', {
        id: idFor('body'), name: 'body', dir: 'auto', rows: parent ? 3 : 4,
        placeholder: t('placeholder'), maxlength: config.max_body_chars,
      });
      const bodyError = h('p', { class: 'field-error', id: idFor('body-error'), hidden: true });
      const left = h('p', { class: 'left', hidden: true });
      fields.body = { input: body, error: bodyError };
      const bodyLabel = parent
        ? h('label', {
          class: 'small-label', for: body.id,
          text: t('bodyReply', { name: parent.c.author ? parent.c.author.name : '' }),
        })
        : h('h2', { class: 'heading' }, h('label', { for: body.id, text: t('heading') }));
      body.addEventListener('input', () => {
        const remaining = config.max_body_chars - body.value.length;
        left.hidden = remaining > Math.min(500, config.max_body_chars / 10);
        left.textContent = t('left', { n: Math.max(0, remaining) });
      });

      const name = h('input', {
        type: 'text', name: 'name', dir: 'auto', autocomplete: 'name',
        required: config.require_name,
      });
      name.value = this.identity.name;
      name.addEventListener('input', () => { this.identity.name = name.value; });
      const email = h('input', {
        type: 'email', name: 'email', dir: 'ltr', autocomplete: 'email', inputmode: 'email',
        required: config.require_email,
      });
      email.value = this.identity.email;
      email.addEventListener('input', () => { this.identity.email = email.value; });

      const people = [
        field('author_name', t('name'), name, config.require_name ? null : t('optional')),
        field('author_email', t('email'), email, config.require_email ? null : t('emailNote')),
      ];
      let notify = null;
      if (config.notifications === true) {
        notify = h('select', { name: 'notify' },
          NOTIFY_CHOICES.map(([value, key]) => h('option', { value, text: t(key) })));
        people.push(field('notify', t('notify'), notify));
      }

      const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
      const submit = h('button', {
        type: 'submit', class: 'btn primary', text: parent ? t('postReply') : t('post'),
      });
      const buttons = [submit];
      if (parent) {
        buttons.unshift(h('button', {
          type: 'button', class: 'btn secondary', text: t('cancel'),
          onclick: () => { this.closePanel(parent); parent.actions.querySelector('.reply').focus(); },
        }));
      }
      const form = h('form', { class: parent ? 'form reply-form panel' : 'form', novalidate: true },
        bodyLabel, body, bodyError, left,
        h('div', { class: 'people' }, people),
        alert,
        h('div', { class: 'row' },
          h('p', { class: 'hint', text: t('hint') }),
          h('div', { class: 'buttons' }, buttons)));
      this.addPreview(form, body, submit);

      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (form.getAttribute('aria-busy') === 'true') return;
        this.clearErrors(fields, alert);
        if (!body.value.trim()) {
          this.markField(fields.body, t('errEmpty'));
          this.showAlert(alert, t('errFields'));
          body.focus();
          return;
        }
        const payload = { article: this.article, body: body.value };
        if (this.title) payload.title = this.title;
        if (isWebUrl(this.url)) payload.url = this.url;
        if (parent) payload.parent_id = parent.c.id;
        if (name.value.trim()) payload.author_name = name.value;
        if (email.value.trim()) payload.author_email = email.value;
        if (notify) payload.notify = notify.value;
        if (anchor) payload.anchor = anchor;

        form.setAttribute('aria-busy', 'true');
        this.busy(submit, t('posting'));
        let data;
        try {
          data = await api('POST', `/sites/${encodeURIComponent(this.site)}/comments`,
            { body: payload });
        } catch (error) {
          this.showFailure(error, fields, alert);
          return;
        } finally {
          form.removeAttribute('aria-busy');
          this.idle(submit, parent ? t('postReply') : t('post'));
        }
        storage.write(`${NS}:name`, name.value.trim());
        body.value = '';
        left.hidden = true;
        if (!data.comment) {
          // 202: held for a moderator (pre-moderation or a spam hold); nothing to show yet.
          const note = h('p', { class: 'held', role: 'status', text: t('held') });
          alert.after(note);
          setTimeout(() => note.remove(), 15000);
          this.announce(t('held'));
          return;
        }
        storage.keep(this.site, data.comment.id,
          { token: data.edit_token, until: data.editable_until, body: payload.body });
        this.posted(data.comment, parent);
      });
      return { form, body };
    }

    posted(comment, parent) {
      let el;
      if (parent) {
        el = this.addReply(comment, parent.rootId);
        const root = this.nodes.get(parent.rootId);
        if (root) {
          root.total += 1;
          this.updateMoreReplies(root);
        }
        this.closePanel(parent);
      } else {
        el = this.renderComment(comment, comment.id);
        if (el && this.sort === 'newest') this.list.prepend(el);
        else if (el) this.list.append(el);
      }
      this.changeCount(1);
      if (this.feed) this.feed.refresh();
      this.announce(this.t('posted'));
      if (this.passages) {
        const root = this.nodes.get(parent ? parent.rootId : comment.id);
        this.passages.count(root && root.c.anchor, 1, !parent && comment);
      }
      if (!el) return;
      el.classList.add('is-new');
      el.addEventListener('animationend', () => el.classList.remove('is-new'), { once: true });
      if (parent) el.focus();
      else if (!comment.anchor) el.scrollIntoView({ block: 'nearest' });
    }

    // -- errors, in words a reader understands ---------------------------------------
    errorText(error) {
      const t = this.t;
      if (error.status === 0) return t('errNetwork');
      if (error.status === 429) {
        return error.retryAfter > 0 ? t('errRateWait', { n: error.retryAfter }) : t('errRate');
      }
      if (error.code === 'thread_locked') return t('errClosed');
      if (error.code === 'edit_window_closed' || error.code === 'invalid_edit_token') {
        return t('errWindow');
      }
      if (error.code === 'comment_deleted' || error.code === 'comment_not_found') {
        return t('errGone');
      }
      if (error.code === 'origin_not_allowed') return t('errOrigin');
      if (error.status === 413) return t('errTooLong');
      if (error.status === 422) {
        const messages = Object.values(error.fields || {});
        return messages.length ? messages.join(' ') : t('errFields');
      }
      if (error.status >= 500) return t('errServer');
      return t('errBad');
    }

    showFailure(error, fields, alert) {
      let first = null;
      const unplaced = [];
      if (error.status === 422) {
        for (const [key, message] of Object.entries(error.fields || {})) {
          const field = fields[key];
          if (!field) {
            unplaced.push(message);
            continue;
          }
          // The service speaks English; other languages get the field's own sentence.
          const text = this.i18n.lang === 'en' ? message : (STRINGS[this.i18n.lang][`field_${key}`]
            || message);
          this.markField(field, text);
          first = first || field.input;
        }
      }
      if (error.status === 422 && first && !unplaced.length) {
        this.showAlert(alert, this.t('errFields'));
      } else if (error.status === 422 && unplaced.length) {
        this.showAlert(alert, unplaced.join(' '));
      } else {
        this.showAlert(alert, this.errorText(error));
      }
      if (first) first.focus();
    }

    markField(field, message) {
      field.error.textContent = message;
      field.error.hidden = false;
      field.input.setAttribute('aria-invalid', 'true');
      field.input.setAttribute('aria-describedby', field.error.id);
    }

    clearErrors(fields, alert) {
      for (const field of Object.values(fields)) {
        field.error.hidden = true;
        field.error.textContent = '';
        field.input.removeAttribute('aria-invalid');
        field.input.removeAttribute('aria-describedby');
      }
      alert.hidden = true;
      alert.textContent = '';
    }

    showAlert(alert, text) {
      alert.textContent = text;
      alert.hidden = false;
    }

    busy(button, label) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = label;
    }

    idle(button, label) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    }
  }

  // ---- live updates (issue 9): "N new comments", inserted when the reader asks ----------
  // An EventSource on the thread's events; long polling when there is none, or when the
  // stream is refused (429/503) or keeps failing. New comments are only counted in a
  // button pinned below the list, so nothing the reader is reading moves until they click.
  class Feed {
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
      if (!this.w.nodes.has(event.comment_id)) this.pending.set(event.comment_id, event);
      this.refresh();
    }

    refresh() {
      for (const id of this.pending.keys()) if (this.w.nodes.has(id)) this.pending.delete(id);
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
        if (!c || c.status !== 'visible' || w.nodes.has(c.id)) continue;
        added += 1;
        let el = null;
        if (c.parent_id == null) {
          el = w.renderComment(c, c.id);
          if (el) w.list[w.sort === 'newest' ? 'prepend' : 'append'](el);
        } else {
          // A reply whose branch is not on screen comes with "more replies" instead.
          const parent = w.nodes.get(c.parent_id);
          const root = parent && w.nodes.get(parent.rootId);
          el = root ? w.addReply(c, parent.rootId) : null;
          if (el) {
            root.total += 1;
            w.updateMoreReplies(root);
          }
        }
        if (el) {
          el.classList.add('is-new');
          first = first || el;
        }
      }
      if (added) w.changeCount(added);
      w.announce(w.t('loaded', { n: added }));
      if (first) first.focus();
    }
  }

  // ---- passages (issue 9): markers beside the article's passages, comments on them ------
  // Passages live in the host page, the widget in its shadow root: each marker and each
  // open panel is an element of its own with a shadow root, put beside its passage, so
  // the page's styles and ours never meet. Quotes are reader text: textContent only.
  const PASSAGE_STRINGS = {
    en: {
      passageCount: { one: '{n} comment on this passage', other: '{n} comments on this passage' },
      passageAdd: 'Comment on this passage',
      commentOnThis: 'Comment on this',
      passageChanged: 'The passage this refers to has changed.',
      onlyPassage: 'Only this passage',
      allComments: 'Show all comments',
    },
    de: {
      passageCount: { one: '{n} Kommentar zu dieser Passage', other: '{n} Kommentare zu dieser Passage' },
      passageAdd: 'Diese Passage kommentieren',
      commentOnThis: 'Hierzu kommentieren',
      passageChanged: 'Die Passage, auf die sich das bezieht, wurde geändert.',
      onlyPassage: 'Nur diese Passage',
      allComments: 'Alle Kommentare zeigen',
    },
    ar: {
      passageCount: 'تعليقات على هذا المقطع: {n}',
      passageAdd: 'علّق على هذا المقطع',
      commentOnThis: 'علّق على هذا',
      passageChanged: 'تغيّر المقطع الذي يشير إليه هذا التعليق.',
      onlyPassage: 'هذا المقطع فقط',
      allComments: 'عرض كل التعليقات',
    },
  };
  for (const lang in PASSAGE_STRINGS) Object.assign(STRINGS[lang], PASSAGE_STRINGS[lang]);

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
        'aria-label': w.t('passageAdd'),
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
        !this.only && h('button', {
          type: 'button', class: 'link', text: t('onlyPassage'),
          onclick: () => this.filter(anchor.passage_key),
        })));
    }

    filter(key) {
      this.only = key;
      this.bar.hidden = !key;
      this.w.loadPage(true);
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

  // ---- start when the page's elements exist ---------------------------------------
  const boot = () => {
    storage.sweep();
    const host = document.getElementById('comments');
    if (host && !host.shadowRoot) new Widget(host).start();
    fillCounts(host);
  };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot, { once: true });
  } else {
    boot();
  }
})();
