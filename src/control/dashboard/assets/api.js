// Dashboard (browser): the control plane's API — the admin token in sessionStorage, Bearer on every call, a 401 back to login.
const TOKEN_KEY = 'trellis.adminToken';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t) {
  if (t === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, t);
}

/** Thrown for any non-2xx answer; `status` 401 means the token was refused. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Called once on a 401 (the app shows the login page). */
let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

function headers(extra = {}) {
  const t = token();
  return t !== null ? { authorization: `Bearer ${t}`, ...extra } : { ...extra };
}

async function check(res) {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (typeof body.error === 'string') message = body.error;
    else if (Array.isArray(body.errors)) message = body.errors.map((e) => `${e.path ?? ''} ${e.message}`.trim()).join('; ');
  } catch {
    /* not JSON */
  }
  if (res.status === 401) onUnauthorized();
  throw new ApiError(res.status, message);
}

/** GET a JSON document. */
export async function getJson(path, signal) {
  const res = await fetch(path, { headers: headers({ accept: 'application/json' }), signal });
  return (await check(res)).json();
}

/** POST a JSON body: Content-Type application/json and this page's Origin are what the write guard accepts. */
export async function postJson(path, body) {
  const res = await fetch(path, { method: 'POST', headers: headers({ 'content-type': 'application/json', accept: 'application/json' }), body: JSON.stringify(body) });
  return (await check(res)).json();
}

/** A streaming GET (NDJSON): the raw response for its body reader. */
export async function stream(path, signal) {
  const res = await fetch(path, { headers: headers({ accept: 'application/x-ndjson' }), signal });
  return check(res);
}

/** Whether `t` is the admin token (GET /api/v1/whoami answers 200). */
export async function tokenIsValid(t) {
  const res = await fetch('/api/v1/whoami', { headers: { authorization: `Bearer ${t}` } });
  return res.ok;
}
