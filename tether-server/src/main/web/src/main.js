// Entry point: find out whether this browser is signed in, then show the sign-in page or the app.

import './styles.css';
import { get, onUnauthorized, setCsrfToken, setSignedIn } from './api.js';
import { h, render } from './dom.js';
import { mountApp, unmountApp } from './shell.js';
import { signInPage } from './views/signin.js';

const root = document.getElementById('app');

// Back from the back/forward cache: its streams were closed when it was left (events.js) and what it shows is
// stale, so load it afresh.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});
let signedIn = false;

async function boot() {
  try {
    const session = await get('/api/v1/session', { quiet401: true });
    enter(session);
  } catch (error) {
    if (error.status === 401) showSignIn();
    else render(root, h('div', { class: 'boot-error', role: 'alert' },
      h('h1', {}, 'Tether is unreachable'), h('p', {}, error.message),
      h('button', { class: 'btn primary', on: { click: () => location.reload() } }, 'Retry')));
  }
}

async function enter(session) {
  setCsrfToken(session.csrf_token || null);
  if (!session.role) {
    // A user who just signed in: their role comes with the session once the cookie is set.
    session = await get('/api/v1/session').catch(() => session);
  }
  setSignedIn(session);
  signedIn = true;
  mountApp(root, session, { signedOut: () => showSignIn('You have signed out.') });
}

function showSignIn(message) {
  if (signedIn) unmountApp();
  signedIn = false;
  setCsrfToken(null);
  render(root, signInPage({ message, signedIn: (session) => enter(session) }));
}

onUnauthorized(() => {
  if (signedIn) showSignIn('Your session has expired. Sign in again to carry on where you were.');
});

boot();
