// The server's event stream (GET /api/v1/events, server-sent events) shared by every view:
// one EventSource for the whole page, resumed by the browser with Last-Event-ID after a drop.

import { get } from './api.js';

const TYPES = ['agent.online', 'agent.offline', 'agent.event', 'job.state', 'command.state'];
const listeners = new Map(TYPES.map((type) => [type, new Set()]));
const stateListeners = new Set();
let source = null;
let state = 'closed';
let retryTimer = null;

function setState(next) {
  state = next;
  stateListeners.forEach((listener) => listener(state));
}

export function connectionState() {
  return state;
}

/** Listens for connection changes: 'connecting', 'live', 'reconnecting', 'closed'. */
export function onConnection(listener) {
  stateListeners.add(listener);
  listener(state);
  return () => stateListeners.delete(listener);
}

/** Listens for one event type; returns the unsubscribe function. */
export function on(type, listener) {
  listeners.get(type).add(listener);
  return () => listeners.get(type).delete(listener);
}

// A page the browser leaves may be kept, frozen, in its back/forward cache with this stream still open; each
// such stream holds one of the six connections the browser allows per server, and after a few page loads the
// next page's requests wait forever for one. So the stream closes when the page is left (main.js loads the
// page afresh if it comes back from that cache).
window.addEventListener('pagehide', () => {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
});

export function start() {
  if (source) return;
  setState('connecting');
  source = new EventSource('/api/v1/events', { withCredentials: true });
  source.addEventListener('open', () => setState('live'));
  source.addEventListener('error', () => {
    if (source && source.readyState === EventSource.CLOSED) {
      // The browser gave up (a non-200 answer, e.g. the session expired): check, then retry.
      source = null;
      setState('reconnecting');
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        get('/api/v1/session').then(start, () => setState('closed'));
      }, 3000);
    } else {
      setState('reconnecting');
    }
  });
  for (const type of TYPES) {
    source.addEventListener(type, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      listeners.get(type).forEach((listener) => {
        try {
          listener(data);
        } catch (e) {
          console.error('event listener failed', e);
        }
      });
    });
  }
}

export function stop() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  setState('closed');
}
