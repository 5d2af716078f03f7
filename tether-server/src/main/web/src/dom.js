// Small DOM helpers: h() builds elements, formatters turn API values into text.

/**
 * Builds an element. props: class, text, html is not supported on purpose (no injection),
 * on: {event: handler}, dataset, aria-* and any other attribute; children: nodes, strings,
 * arrays, null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'on') for (const [name, fn] of Object.entries(value)) el.addEventListener(name, fn);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'hidden' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SVG element (charts, icons). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces el's children. */
export function render(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

const units = [
  ['year', 365 * 24 * 3600], ['month', 30 * 24 * 3600], ['day', 24 * 3600],
  ['hour', 3600], ['minute', 60], ['second', 1],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "just now"; '—' for null. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Math.abs(seconds) < 5) return 'just now';
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.round(seconds / size), unit);
  }
  return '—';
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** An element showing a relative time, with the absolute one as its tooltip; refreshed by tick(). */
export function timeEl(iso, fallback = '—') {
  const el = h('time', { datetime: iso || undefined, title: iso ? when(iso) : undefined, class: 'rel-time' },
    iso ? ago(iso) : fallback);
  return el;
}

/** Refreshes every relative time under root (called on a timer: no server polling involved). */
export function tick(root = document) {
  for (const el of root.querySelectorAll('time.rel-time[datetime]')) el.textContent = ago(el.getAttribute('datetime'));
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function between(startIso, endIso) {
  if (!startIso) return '—';
  const end = endIso ? new Date(endIso).getTime() : Date.now();
  return duration((end - new Date(startIso).getTime()) / 1000);
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(n);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value >= 10 || i === 0 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Labels object → sorted "k=v" strings. */
export function labelList(labels) {
  return Object.entries(labels || {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
}

export function chips(list, kind = '') {
  if (!list.length) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'chips' }, list.map((text) => h('span', { class: ['chip', kind] }, text)));
}

/** A status pill: online/offline, job and command states. */
export function pill(state, text = state) {
  return h('span', { class: ['pill', `pill-${String(state).replace(/[^a-z_]/g, '')}`] }, text);
}

/** A message shown where content would be: empty lists, errors, loading. */
export function notice(kind, title, ...body) {
  return h('div', { class: ['notice', `notice-${kind}`], role: kind === 'error' ? 'alert' : undefined },
    h('p', { class: 'notice-title' }, title), ...body);
}

export function errorText(error) {
  if (!error) return 'Something went wrong.';
  return error.message || String(error);
}
