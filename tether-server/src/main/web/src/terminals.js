// Terminal tabs: each tab is one shell session on an agent over the terminal WebSocket
// (/api/v1/agents/{id}/shell). Binary messages carry terminal bytes both ways; text messages are
// JSON control (ready, exit, error, status from the server; resize and close from here).
// Closing the socket only detaches: a dropped link is re-attached to the same session, whose
// scrollback the agent replays (the screen is cleared first so nothing shows twice). Tabs are
// remembered for this browser tab (sessionStorage), so a reload re-attaches them too.

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { enc, get } from './api.js';
import { h, render } from './dom.js';

const STORAGE_KEY = 'tether.terminals';
const RETRY_MS = [500, 1000, 2000, 4000, 8000];
const encoder = new TextEncoder();
const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

const tabs = [];
let active = null;
let nextTabId = 1;
const listeners = new Set();

const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Terminal sessions' });
const panes = h('div', { class: 'panes' });
const empty = h('div', { class: 'notice notice-empty terminals-empty' },
  h('p', { class: 'notice-title' }, 'No terminal open'),
  h('p', {}, 'Open one from an agent\'s page: ', h('a', { href: '/agents' }, 'choose an agent'), '. Its button is enabled when the agent is online and runs with ',
    h('code', {}, '--enable-shell'), '.'));
const root = h('div', { class: 'terminals' }, tabList, panes, empty);

const themes = {
  dark: { background: '#0b1220', foreground: '#e2e8f0', cursor: '#5eead4', selectionBackground: '#334155' },
  // Darker ANSI colours than xterm's defaults, so coloured output stays readable on white.
  light: { background: '#ffffff', foreground: '#0f172a', cursor: '#0f766e', cursorAccent: '#ffffff', selectionBackground: '#bfdbfe',
    black: '#0f172a', red: '#b91c1c', green: '#15803d', yellow: '#a16207', blue: '#1d4ed8', magenta: '#a21caf', cyan: '#0e7490', white: '#64748b',
    brightBlack: '#475569', brightRed: '#dc2626', brightGreen: '#16a34a', brightYellow: '#854d0e', brightBlue: '#2563eb',
    brightMagenta: '#c026d3', brightCyan: '#0891b2', brightWhite: '#334155' },
};
darkQuery.addEventListener('change', () => tabs.forEach((tab) => { tab.term.options.theme = theme(); }));

function theme() {
  return darkQuery.matches ? themes.dark : themes.light;
}

/** The element holding tabs and panes; the terminals page moves it in and out of view. */
export function element() {
  return root;
}

export function onChange(listener) {
  listeners.add(listener);
  listener(tabs.length);
  return () => listeners.delete(listener);
}

function changed() {
  empty.hidden = tabs.length > 0;
  persist();
  listeners.forEach((listener) => listener(tabs.length));
}

function persist() {
  const open = tabs.filter((tab) => tab.sessionId && !tab.ended)
    .map((tab) => ({ agentId: tab.agent.id, agentName: tab.agent.name, sessionId: tab.sessionId }));
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(open));
  } catch {
    // Storage may be unavailable (private mode): tabs then do not survive a reload.
  }
}

/** Re-attaches the tabs this browser tab had open before a reload. */
export function restore() {
  let saved = [];
  try {
    saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || '[]');
  } catch {
    saved = [];
  }
  for (const entry of saved) {
    if (!tabs.some((tab) => tab.sessionId === entry.sessionId)) {
      open({ id: entry.agentId, name: entry.agentName }, { sessionId: entry.sessionId, activate: false });
    }
  }
}

/** Opens a new session on agent ({id, name}) in a new tab and shows it. */
export function open(agent, { sessionId = null, activate = true } = {}) {
  const id = nextTabId++;
  const term = new Terminal({
    cursorBlink: true, fontSize: 14, scrollback: 5000, allowProposedApi: false,
    fontFamily: 'ui-monospace, "JetBrains Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace',
    theme: theme(),
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const sameAgent = tabs.filter((tab) => tab.agent.id === agent.id).length;
  const title = sameAgent ? `${agent.name} (${sameAgent + 1})` : agent.name;
  const tab = {
    id, agent, term, fit, title, sessionId, ws: null, ended: false, closing: false, attempts: 0,
    retryTimer: null, everReady: false, lastSize: null,
  };
  tab.banner = h('div', { class: 'banner', hidden: true });
  tab.status = h('span', { class: 'tab-dot', 'aria-hidden': 'true' });
  tab.button = h('button', {
    class: 'tab', role: 'tab', type: 'button', id: `tab-${id}`, 'aria-controls': `pane-${id}`, 'aria-selected': 'false',
    dataset: { agent: agent.name }, on: { click: () => activateTab(tab) },
  }, tab.status, h('span', { class: 'tab-title' }, title));
  tab.closeButton = h('button', {
    class: 'tab-close', type: 'button', 'aria-label': `End the session on ${title} and close its tab`,
    title: 'End the session and close the tab', on: { click: () => closeTab(tab) },
  }, '×');
  tab.tabItem = h('div', { class: 'tab-item', role: 'presentation' }, tab.button, tab.closeButton);
  const screen = h('div', { class: 'screen', 'data-agent': agent.name });
  tab.pane = h('section', { class: 'pane', id: `pane-${id}`, role: 'tabpanel', 'aria-labelledby': `tab-${id}`, hidden: true },
    h('div', { class: 'pane-bar' },
      h('span', { class: 'pane-title' }, h('strong', {}, agent.name), h('span', { class: 'muted session-id' })),
      h('span', { class: 'pane-size muted', 'aria-live': 'off' }),
      h('button', { class: 'btn small', type: 'button', on: { click: () => copy(tab) }, title: 'Copy the selection (Ctrl+Shift+C)' }, 'Copy'),
      h('button', { class: 'btn small', type: 'button', on: { click: () => paste(tab) }, title: 'Paste the clipboard (Ctrl+Shift+V)' }, 'Paste')),
    tab.banner, screen);
  tab.screen = screen;
  tabs.push(tab);
  tabList.append(tab.tabItem);
  panes.append(tab.pane);
  term.attachCustomKeyEventHandler((event) => keys(tab, event));
  term.onData((data) => send(tab, encoder.encode(data)));
  term.onBinary((data) => send(tab, Uint8Array.from(data, (c) => c.charCodeAt(0))));
  term.onResize(({ rows, cols }) => {
    tab.pane.querySelector('.pane-size').textContent = `${cols}×${rows}`;
    control(tab, { type: 'resize', rows, cols });
  });
  new ResizeObserver(() => refit(tab)).observe(screen);
  if (activate || !active) activateTab(tab);
  changed();
  connect(tab);
  return tab;
}

function activateTab(tab) {
  active = tab;
  for (const other of tabs) {
    const selected = other === tab;
    other.button.setAttribute('aria-selected', String(selected));
    other.button.tabIndex = selected ? 0 : -1;
    other.pane.hidden = !selected;
  }
  ensureOpened(tab);
  requestAnimationFrame(() => {
    refit(tab);
    tab.term.focus();
  });
}

/** xterm measures its font when opened, so a terminal opens once its pane is visible in the page. */
function ensureOpened(tab) {
  if (tab.opened || !root.isConnected || tab.pane.hidden) return;
  tab.term.open(tab.screen);
  tab.opened = true;
}

function refit(tab) {
  if (!tab.opened || tab.pane.hidden || !tab.pane.isConnected || tab.pane.offsetParent === null) return;
  try {
    tab.fit.fit();
  } catch {
    // Not laid out yet.
  }
}

/** Called when the terminals page is shown again: the panes were out of the document. */
export function shown() {
  if (active) activateTab(active);
}

function url(tab) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams({ rows: tab.term.rows, cols: tab.term.cols });
  if (tab.sessionId) params.set('session', tab.sessionId);
  return `${scheme}//${location.host}/api/v1/agents/${enc(tab.agent.id)}/shell?${params}`;
}

function connect(tab) {
  if (tab.ended || tab.closing) return;
  refit(tab);
  const reattach = Boolean(tab.sessionId);
  setDot(tab, 'connecting');
  const ws = new WebSocket(url(tab));
  ws.binaryType = 'arraybuffer';
  tab.ws = ws;
  let ready = false;
  ws.onmessage = (message) => {
    if (typeof message.data !== 'string') {
      tab.term.write(new Uint8Array(message.data));
      return;
    }
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (frame.type === 'ready') {
      ready = true;
      onReady(tab, frame, reattach);
    } else if (frame.type === 'exit') {
      ended(tab, frame.exit_code, frame.signal);
    } else if (frame.type === 'error') {
      if (frame.code === 'not_found' && reattach) ended(tab, null, null, 'The session is no longer running on the agent.');
      else banner(tab, 'error', `The terminal reported an error: ${frame.message}`);
    } else if (frame.type === 'status') {
      if (frame.agent === 'disconnected') {
        setDot(tab, 'waiting');
        banner(tab, 'warn', `The link to ${tab.agent.name} dropped. The session is kept and resumes as soon as the agent reconnects.`);
      } else if (frame.agent === 'reconnected') {
        setDot(tab, 'live');
        banner(tab, 'ok', `${tab.agent.name} is back: the session resumed.`, 4000);
      }
    }
  };
  ws.onclose = () => {
    if (tab.ws !== ws) return;
    tab.ws = null;
    if (tab.ended || tab.closing) return;
    if (!ready && !tab.sessionId) {
      refused(tab);
      return;
    }
    setDot(tab, 'waiting');
    banner(tab, 'warn', 'Connection to the server lost: re-attaching to the same session…');
    const delay = RETRY_MS[Math.min(tab.attempts, RETRY_MS.length - 1)];
    tab.attempts++;
    clearTimeout(tab.retryTimer);
    tab.retryTimer = setTimeout(() => reattachIfAlive(tab), delay);
  };
}

function onReady(tab, frame, reattach) {
  tab.attempts = 0;
  if (reattach) {
    // The agent replays its scrollback next: start from a clean screen so nothing shows twice.
    tab.term.reset();
    banner(tab, 'ok', frame.attached ? 'Re-attached: the scrollback was replayed.' : 'Connected.', 4000);
  } else {
    hideBanner(tab);
  }
  tab.sessionId = frame.session;
  tab.everReady = true;
  tab.pane.querySelector('.session-id').textContent = ` · session ${frame.session.slice(0, 8)}`;
  tab.pane.querySelector('.pane-size').textContent = `${tab.term.cols}×${tab.term.rows}`;
  setDot(tab, 'live');
  persist();
  // The window may have changed while connecting.
  control(tab, { type: 'resize', rows: tab.term.rows, cols: tab.term.cols });
}

async function reattachIfAlive(tab) {
  if (tab.ended || tab.closing) return;
  try {
    const session = await get(`/api/v1/sessions/${enc(tab.sessionId)}`);
    if (session.state === 'ended') {
      ended(tab, session.exit_code, session.signal);
      return;
    }
  } catch (e) {
    if (e.status === 404) {
      ended(tab, null, null, 'The session is no longer known to the server.');
      return;
    }
    // The server itself is unreachable: keep trying.
  }
  connect(tab);
}

/** The socket closed before the session started: ask the same URL without the upgrade why. */
async function refused(tab) {
  setDot(tab, 'ended');
  let reason = 'The server closed the terminal connection.';
  try {
    const response = await fetch(url(tab).replace(/^ws/, 'http'), { credentials: 'same-origin' });
    const body = await response.json();
    if (response.status !== 400 || body.error !== 'upgrade_required') reason = body.message || reason;
  } catch {
    // Keep the generic reason.
  }
  tab.ended = true;
  banner(tab, 'error', `Could not open a terminal: ${reason}`, 0, retryButton(tab));
  changed();
}

function ended(tab, exitCode, signal, text) {
  tab.ended = true;
  clearTimeout(tab.retryTimer);
  setDot(tab, 'ended');
  const what = text || (signal ? `Session ended: killed by ${signal}${exitCode !== null && exitCode !== undefined ? ` (exit code ${exitCode})` : ''}.`
    : exitCode !== null && exitCode !== undefined ? `Session ended with exit code ${exitCode}.` : 'Session ended.');
  banner(tab, exitCode === 0 && !signal ? 'info' : 'error', what, 0, retryButton(tab, 'Open a new session'));
  tab.term.options.cursorBlink = false;
  if (tab.ws) tab.ws.close();
  changed();
}

function retryButton(tab, label = 'Try again') {
  return h('button', { class: 'btn small', type: 'button', on: { click: () => {
    const replacement = open(tab.agent);
    closeTab(tab, { keepActive: replacement });
  } } }, label);
}

function send(tab, bytes) {
  if (tab.ws && tab.ws.readyState === WebSocket.OPEN && !tab.ended) tab.ws.send(bytes);
}

function control(tab, message) {
  if (tab.ws && tab.ws.readyState === WebSocket.OPEN && !tab.ended) tab.ws.send(JSON.stringify(message));
}

function keys(tab, event) {
  if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
  if (event.code === 'KeyC') {
    copy(tab);
    return false;
  }
  if (event.code === 'KeyV') {
    paste(tab);
    return false;
  }
  return true;
}

async function copy(tab) {
  const text = tab.term.getSelection();
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    banner(tab, 'warn', 'The browser did not allow copying; select the text and use the context menu.', 4000);
  }
  tab.term.focus();
}

async function paste(tab) {
  try {
    const text = await navigator.clipboard.readText();
    if (text) tab.term.paste(text);
  } catch {
    banner(tab, 'warn', 'The browser did not allow reading the clipboard; paste with Ctrl+V or the context menu.', 4000);
  }
  tab.term.focus();
}

function setDot(tab, state) {
  tab.status.dataset.state = state;
  tab.button.dataset.state = state;
}

function banner(tab, kind, text, hideAfterMs = 0, action = null) {
  clearTimeout(tab.bannerTimer);
  tab.banner.className = `banner banner-${kind}`;
  tab.banner.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  render(tab.banner, h('span', { class: 'banner-text' }, text), action);
  tab.banner.hidden = false;
  if (hideAfterMs) tab.bannerTimer = setTimeout(() => hideBanner(tab), hideAfterMs);
  requestAnimationFrame(() => refit(tab));
}

function hideBanner(tab) {
  tab.banner.hidden = true;
  requestAnimationFrame(() => refit(tab));
}

/** Ends the tab's session (if it runs) and removes the tab. */
export function closeTab(tab, { keepActive = null } = {}) {
  tab.closing = true;
  clearTimeout(tab.retryTimer);
  if (tab.ws) {
    if (tab.ws.readyState === WebSocket.OPEN && !tab.ended) tab.ws.send(JSON.stringify({ type: 'close' }));
    tab.ws.close();
  }
  tab.term.dispose();
  tab.tabItem.remove();
  tab.pane.remove();
  const index = tabs.indexOf(tab);
  tabs.splice(index, 1);
  if (active === tab) {
    active = null;
    const next = keepActive || tabs[Math.min(index, tabs.length - 1)];
    if (next) activateTab(next);
  }
  changed();
}

/** Detaches every tab without ending its session (sign-out): the sessions time out on the agent. */
export function closeAll() {
  for (const tab of [...tabs]) {
    tab.closing = true;
    clearTimeout(tab.retryTimer);
    if (tab.ws) tab.ws.close();
    tab.term.dispose();
    tab.tabItem.remove();
    tab.pane.remove();
  }
  tabs.length = 0;
  active = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
  listeners.forEach((listener) => listener(0));
}

// Arrow keys move between tabs, as in any tab list.
tabList.addEventListener('keydown', (event) => {
  if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key) || !active) return;
  const index = tabs.indexOf(active);
  const next = event.key === 'Home' ? 0 : event.key === 'End' ? tabs.length - 1
    : (index + (event.key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length;
  activateTab(tabs[next]);
  tabs[next].button.focus();
  event.preventDefault();
});
