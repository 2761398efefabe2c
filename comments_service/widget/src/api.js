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

const api = async (method, path, { query, body, token, reader, bearer } = {}) => {
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
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
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
