// ---- strings: English built in, every other language a catalogue fetched when needed
// Catalogues are comments_service/widget/i18n/LANG.json, served at versioned URLs with a
// long max-age; CATALOGUES (written by parts.py when the script is assembled) maps each
// language to its version. A page in another language loads its one catalogue while the
// config and the first page of comments are on their way.
const EN = {
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
  preview: 'Preview',
  previewEmpty: 'Nothing to preview yet.',
  feed: 'Feed of new comments',
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
  errRateWait: { one: 'You are posting a little too quickly. Please wait {n} second, then try again. Your text is still here.', other: 'You are posting a little too quickly. Please wait {n} seconds, then try again. Your text is still here.' },
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
  passageCount: { one: '{n} comment on this passage', other: '{n} comments on this passage' },
  passageAdd: 'Comment on this passage',
  commentOnThis: 'Comment on this',
  passageChanged: 'The passage this refers to has changed.',
  onlyPassage: 'Only this passage',
  allComments: 'Show all comments',
  signInWith: 'Sign in with {name}',
  signedInAs: 'Signed in as {name}',
  signOut: 'Sign out',
  signedIn: 'signed in',
  errSignIn: 'Please sign in to comment.',
};
const RTL = new Set(['ar', 'he', 'fa', 'ur']);

// Tags whose catalogue has another name: a script's usual regions, a language's usual
// variety, older codes.
const ALIAS = {
  zh: 'zh-Hans', 'zh-tw': 'zh-Hant', 'zh-hk': 'zh-Hant', 'zh-mo': 'zh-Hant',
  pt: 'pt-BR', no: 'nb', nn: 'nb', iw: 'he',
};

/** The first language with a table among data-lang, <html lang> and the browser's: by
 * the whole tag (pt-PT, zh-Hant-TW), its first two parts, an alias, then the language.
 * A site offering a list (config.languages) is answered among those only, else its first. */
const pickLang = (host, offered) => {
  const all = ['en', ...Object.keys(CATALOGUES)];
  const some = offered && offered.length && all.filter((l) => offered.includes(l));
  const known = new Map((some || all).map((l) => [l.toLowerCase(), l]));
  const wanted = [host && host.dataset.lang, document.documentElement.lang, navigator.language];
  for (const tag of wanted) {
    const parts = (tag || '').toLowerCase().split(/[-_]/);
    const two = parts.slice(0, 2).join('-');
    for (const key of [parts.join('-'), two, ALIAS[two], ALIAS[parts[0]], parts[0]]) {
      const lang = key && known.get(key.toLowerCase());
      if (lang) return lang;
    }
  }
  return some ? some[0] : 'en';
};

/** [lang, table] for `lang`: English at once; another language's catalogue, or English
 * when it cannot be had (the reader then gets English laid out as English). */
const loadStrings = async (lang) => {
  if (lang === 'en') return [lang, EN];
  try {
    const response = await fetch(`${BASE}embed-i18n/${CATALOGUES[lang]}/${lang}.json`);
    if (response.ok) return [lang, await response.json()];
  } catch (_) { /* English below */ }
  return ['en', EN];
};

const makeI18n = (lang, table) => {
  const plural = new Intl.PluralRules(lang);
  const number = new Intl.NumberFormat(lang);
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const exact = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' });
  const t = (key, vars = {}) => {
    let text = table[key] ?? EN[key];
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
  return { lang, t, own: (key) => table[key], ago, exact: (iso) => exact.format(new Date(iso)) };
};

