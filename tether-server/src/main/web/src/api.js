// The REST API as the UI uses it: same-origin fetches carrying the session cookie, the
// anti-CSRF token on every state-changing request, errors as ApiError {status, code, message}.

let csrfToken = null;
const unauthorizedListeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

const ROLES = ['viewer', 'operator', 'admin'];
let signedIn = null;

/** Who is signed in: {actor, role, scope} from GET /api/v1/session. */
export function setSignedIn(session) {
  signedIn = session;
}

/** Whether the signed-in role includes {@code role} (viewer < operator < admin); the server decides anyway. */
export function may(role) {
  return ROLES.indexOf(signedIn?.role || 'viewer') >= ROLES.indexOf(role);
}

export function role() {
  return signedIn?.role || 'viewer';
}

/** Called when a request comes back 401: the session expired or was signed out. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export async function request(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'Cannot reach the Tether server. Check that it is running, then retry.');
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, json?.error || `http_${response.status}`,
      json?.message || `The server answered HTTP ${response.status}.`);
    if (response.status === 401 && !quiet401) unauthorizedListeners.forEach((listener) => listener(error));
    throw error;
  }
  return json;
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

export const enc = encodeURIComponent;

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Every agent matching `params` (status, selector, q, revoked), following GET /api/v1/agents's pages:
 * for pickers and name lookups that need the whole fleet. The agents page itself loads a page at a time.
 */
export async function allAgents(params = {}) {
  const agents = [];
  let before = null;
  do {
    const page = await get(`/api/v1/agents${query({ ...params, limit: 1000, before })}`);
    agents.push(...page.agents);
    before = page.next_before;
  } while (before);
  return agents;
}
