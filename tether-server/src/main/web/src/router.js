// A small history-API router: paths like /agents/web-1 map to views; the server answers every
// such path with index.html, so a reload or a shared link lands on the same page.

const routes = [];
let current = null;
let outlet = null;
let onChange = () => {};

/** Registers a route; pattern segments starting with ':' are parameters. */
export function route(pattern, view) {
  const parts = pattern.split('/').filter(Boolean);
  routes.push({ parts, view });
}

function match(path) {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const { parts, view } of routes) {
    if (parts.length !== segments.length) continue;
    const params = {};
    if (parts.every((part, i) => (part.startsWith(':') ? ((params[part.slice(1)] = segments[i]), true) : part === segments[i]))) {
      return { view, params };
    }
  }
  return null;
}

export function navigate(href, { replace = false } = {}) {
  if (href === location.pathname + location.search) {
    if (!replace) return;
  }
  history[replace ? 'replaceState' : 'pushState'](null, '', href);
  show();
}

/** Updates the query string without re-rendering (filters). */
export function setQuery(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  history.replaceState(null, '', location.pathname + (text ? `?${text}` : ''));
}

function show() {
  if (!outlet) return;
  if (current?.cleanup) {
    try {
      current.cleanup();
    } catch (e) {
      console.error(e);
    }
  }
  const found = match(location.pathname) || match('/404');
  const query = Object.fromEntries(new URLSearchParams(location.search));
  outlet.replaceChildren();
  outlet.scrollTop = 0;
  window.scrollTo(0, 0);
  const cleanup = found.view.mount(outlet, { params: found.params, query });
  current = { view: found.view, cleanup };
  onChange(location.pathname, found.view);
}

/** Starts routing into outlet; links with a same-origin href are handled here, not by a reload. */
export function start(element, changed) {
  outlet = element;
  onChange = changed || onChange;
  show();
}

export function stop() {
  if (current?.cleanup) current.cleanup();
  current = null;
  outlet = null;
}

window.addEventListener('popstate', () => show());
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
