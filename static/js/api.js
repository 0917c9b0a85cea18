// The one way the pages talk to the API: adds the token, parses the contract's error shape,
// and on 401 forgets the token and goes to the login page.

const TOKEN_KEY = 'hc.token';

export class ApiError extends Error {
  constructor(status, code, message, fields = {}, body = null, details = null) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.fields = fields || {};
    this.body = body;
    // Field path → {code, params, message}; the codes are what the page translates.
    this.problems = {};
    for (const [field, text] of Object.entries(this.fields)) this.problems[field] = { message: text };
    for (const d of details || []) this.problems[d.field] = { code: d.code, params: d.params, message: d.message };
  }
}

export const auth = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
  },
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = (body && body.error) || {};
  const failed = new ApiError(response.status, error.code, error.message, error.fields, body, error.details);
  // Seconds until the server takes the request again (429, 503), when it says.
  const wait = Number(response.headers.get('Retry-After'));
  failed.retryAfter = Number.isFinite(wait) && wait > 0 ? wait : null;
  return failed;
}

/** Sends a request; resolves to the raw Response when it is 2xx, throws ApiError otherwise. */
export async function send(method, path, { json, body, headers = {}, anonymous = false } = {}) {
  const init = { method, headers: { ...headers } };
  const token = auth.token;
  if (token && !anonymous) init.headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', '');
  }
  if (response.ok) return response;
  const error = await errorFrom(response);
  if (response.status === 401 && !anonymous) {
    auth.clear();
    onUnauthorized();
  }
  throw error;
}

/**
 * An API path with every interpolated part encoded as one path segment, so that a value from
 * the address bar can never reach another endpoint: path`/employees/${id}/leave`.
 */
export function path(strings, ...parts) {
  return strings.reduce((out, s, i) => out + s + (i < parts.length ? encodeURIComponent(String(parts[i])) : ''), '');
}

/** A day as the API takes it in a path: `today` or YYYY-MM-DD; anything else is `today`. */
export function dayParam(raw) {
  return /^(today|\d{4}-\d{2}-\d{2})$/.test(raw || '') ? raw : 'today';
}

/** JSON in, JSON out. */
export async function api(method, path, json, options = {}) {
  const response = await send(method, `/api/v1${path}`, { json, ...options });
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A file fetched with the token, as a blob. */
export async function blob(path) {
  const response = await send('GET', `/api/v1${path}`);
  return response.blob();
}

/** Downloads a file fetched with the token under a given name. */
export async function download(path, filename) {
  const data = await blob(path);
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
