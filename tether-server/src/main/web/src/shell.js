// The signed-in app: top bar with navigation, live-connection indicator and sign-out; the routed
// view below it; keyboard shortcuts. Terminals live in their own manager so tabs survive navigation.

import { del } from './api.js';
import { h, render, tick } from './dom.js';
import * as events from './events.js';
import * as router from './router.js';
import * as terminals from './terminals.js';
import { agentsView } from './views/agents.js';
import { agentView } from './views/agent.js';
import { auditView } from './views/audit.js';
import { runView } from './views/run.js';
import { sessionsView, sessionView } from './views/sessions.js';
import { terminalsView } from './views/terminals-view.js';

const NAV = [
  { href: '/agents', label: 'Agents', key: 'a', match: (path) => path === '/' || path.startsWith('/agents') },
  { href: '/run', label: 'Run', key: 'r', match: (path) => path.startsWith('/run') },
  { href: '/terminals', label: 'Terminals', key: 't', match: (path) => path.startsWith('/terminals') },
  { href: '/sessions', label: 'Sessions', key: 's', match: (path) => path.startsWith('/sessions') },
  { href: '/audit', label: 'Audit', key: 'u', match: (path) => path.startsWith('/audit') },
];

const notFound = {
  title: 'Not found',
  mount(el) {
    render(el, h('section', { class: 'page' }, h('h1', {}, 'Nothing here'),
      h('p', {}, 'This page does not exist. ', h('a', { href: '/agents' }, 'Go to the agents'), '.')));
  },
};

router.route('/', { title: 'Agents', mount: (el, ctx) => agentsView.mount(el, ctx) });
router.route('/agents', agentsView);
router.route('/agents/:id', agentView);
router.route('/terminals', terminalsView);
router.route('/run', runView);
router.route('/sessions', sessionsView);
router.route('/sessions/:id', sessionView);
router.route('/audit', auditView);
router.route('/404', notFound);

let cleanups = [];

export function mountApp(root, session, { signedOut }) {
  const links = NAV.map((item) => h('a', { href: item.href, class: 'nav-link', dataset: { key: item.key } },
    item.label, item.href === '/terminals' ? h('span', { class: 'nav-count', hidden: true }) : null));
  const live = h('span', { class: 'live', role: 'status', title: 'Live updates' }, h('span', { class: 'live-dot' }),
    h('span', { class: 'live-text' }, 'Connecting…'));
  const signOut = h('button', { class: 'btn ghost', type: 'button', on: { click: doSignOut } }, 'Sign out');
  const main = h('main', { id: 'main', tabindex: '-1' });
  const layout = h('div', { class: 'layout' },
    h('a', { class: 'skip', href: '#main', on: { click: (e) => { e.preventDefault(); main.focus(); } } }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '/agents', 'aria-label': 'Tether home' },
        h('img', { src: '/favicon.svg', alt: '', width: 24, height: 24 }), h('span', {}, 'Tether')),
      h('nav', { class: 'nav', 'aria-label': 'Main' }, links),
      h('div', { class: 'topbar-end' }, live,
        h('span', { class: 'who', title: session.expires_at ? `Signed in until ${new Date(session.expires_at).toLocaleString()}` : '' },
          session.actor || 'admin', session.role && session.actor !== 'admin' ? h('span', { class: 'role' }, session.role) : null),
        signOut)),
    main);
  render(root, layout);

  async function doSignOut() {
    signOut.disabled = true;
    try {
      await del('/api/v1/session');
    } catch {
      // Signed out either way: the cookie is cleared by the reply, or already invalid.
    }
    signedOut();
  }

  cleanups.push(events.onConnection((state) => {
    live.dataset.state = state;
    live.querySelector('.live-text').textContent = {
      connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', closed: 'Offline',
    }[state];
    live.title = state === 'live' ? 'Live updates: connected to the event stream'
      : 'Live updates paused: reconnecting to the event stream';
  }));
  events.start();
  terminals.restore();
  cleanups.push(terminals.onChange((count) => {
    const badge = layout.querySelector('.nav-count');
    badge.hidden = count === 0;
    badge.textContent = String(count);
    badge.setAttribute('aria-label', `${count} open`);
  }));
  const ticker = setInterval(() => tick(root), 10_000);
  cleanups.push(() => clearInterval(ticker));
  cleanups.push(shortcuts());
  router.start(main, (path, view) => {
    for (const link of links) {
      const active = NAV.find((item) => item.href === link.getAttribute('href')).match(path);
      link.classList.toggle('active', active);
      if (active) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = view.title ? `${typeof view.title === 'function' ? view.title() : view.title} · Tether` : 'Tether';
  });
}

export function unmountApp() {
  router.stop();
  events.stop();
  terminals.closeAll();
  cleanups.forEach((fn) => fn());
  cleanups = [];
}

function typing(target) {
  return target.closest('input, textarea, select, [contenteditable], .xterm');
}

/** g a / g r / g t / g s / g u go to a page, / focuses the page's search, ? lists them. */
function shortcuts() {
  let pendingG = false;
  let timer;
  const handler = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === '/') {
      const search = document.querySelector('[data-search]');
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
      return;
    }
    if (event.key === '?') {
      showShortcuts();
      return;
    }
    if (pendingG) {
      pendingG = false;
      const item = NAV.find((nav) => nav.key === event.key);
      if (item) {
        event.preventDefault();
        router.navigate(item.href);
      }
      return;
    }
    if (event.key === 'g') {
      pendingG = true;
      clearTimeout(timer);
      timer = setTimeout(() => (pendingG = false), 1200);
    }
  };
  document.addEventListener('keydown', handler);
  return () => document.removeEventListener('keydown', handler);
}

function showShortcuts() {
  const rows = [
    ['/', 'Search or filter on this page'],
    ...NAV.map((item) => [`g ${item.key}`, `Go to ${item.label}`]),
    ['Ctrl+Shift+C / Ctrl+Shift+V', 'Copy / paste in a terminal'],
    ['?', 'This list'],
  ];
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'shortcuts-title' },
    h('h2', { id: 'shortcuts-title' }, 'Keyboard shortcuts'),
    h('dl', { class: 'shortcuts' }, rows.map(([keys, what]) => [h('dt', {}, h('kbd', {}, keys)), h('dd', {}, what)])),
    h('div', { class: 'dialog-actions' }, h('button', { class: 'btn primary', type: 'button', on: { click: () => dialog.close() } }, 'Close')));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
