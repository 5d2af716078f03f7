// Sign-in: as a user (name and password) or with the admin token, exchanged once for an HttpOnly
// session cookie; neither the password nor the token is kept by the browser.

import { request, setCsrfToken } from '../api.js';
import { h } from '../dom.js';

const MODE_KEY = 'tether.signin-mode';

export function signInPage({ message, signedIn }) {
  let mode = localStorage.getItem(MODE_KEY) === 'user' ? 'user' : 'token';
  const token = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', spellcheck: 'false',
    placeholder: 'tat_…', 'aria-describedby': 'token-help',
  });
  const user = h('input', { id: 'user', name: 'username', autocomplete: 'username', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const tokenFields = h('div', { class: 'signin-fields' },
    h('label', { for: 'token' }, 'Admin token'), token,
    h('p', { id: 'token-help', class: 'help' },
      'The token the server printed on its first start, or TETHER_ADMIN_TOKEN. With ',
      h('code', {}, 'tether server --dev'), ' it is in ', h('code', {}, 'tether-data/admin.token'), '.'));
  const userFields = h('div', { class: 'signin-fields' },
    h('label', { for: 'user' }, 'User'), user,
    h('label', { for: 'password', class: 'second' }, 'Password'), password,
    h('p', { class: 'help' }, 'An admin creates users with ', h('code', {}, 'tether users create'), '.'));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const button = h('button', { class: 'btn primary wide', type: 'submit' }, 'Sign in');
  const modes = h('div', { class: 'segmented signin-modes', role: 'radiogroup', 'aria-label': 'Sign in with' },
    [['user', 'User and password'], ['token', 'Admin token']].map(([value, label]) => h('label', { class: 'segment' },
      h('input', { type: 'radio', name: 'mode', value, checked: mode === value, on: { change: () => setMode(value) } }),
      h('span', {}, label))));
  const form = h('form', { class: 'signin-form', 'aria-labelledby': 'signin-title', on: { submit } },
    h('div', { class: 'signin-brand' }, h('img', { src: '/favicon.svg', alt: '', width: 40, height: 40 }),
      h('span', {}, 'Tether')),
    h('h1', { id: 'signin-title' }, 'Sign in'),
    message ? h('p', { class: 'signin-message', role: 'status' }, message) : null,
    modes, userFields, tokenFields, error, button);
  setMode(mode, false);

  function setMode(value, focus = true) {
    mode = value;
    userFields.hidden = mode !== 'user';
    tokenFields.hidden = mode !== 'token';
    error.hidden = true;
    if (focus) (mode === 'user' ? user : token).focus();
  }

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const body = mode === 'user' ? { user: user.value.trim(), password: password.value } : { token: token.value.trim() };
    if (mode === 'user' ? !body.user || !body.password : !body.token) {
      showError(mode === 'user' ? 'Enter your user name and password.' : 'Enter the admin token.');
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const session = await request('POST', '/api/v1/session', body, { quiet401: true });
      token.value = '';
      password.value = '';
      localStorage.setItem(MODE_KEY, mode);
      setCsrfToken(session.csrf_token);
      signedIn(session);
    } catch (e) {
      showError(e.status === 401 ? (mode === 'user' ? 'Wrong user name or password.' : 'That is not an admin token. Check it and try again.')
        : e.message);
      button.disabled = false;
      button.textContent = 'Sign in';
      const field = mode === 'user' ? password : token;
      field.focus();
      field.select();
    }
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  const page = h('div', { class: 'signin' }, form,
    h('p', { class: 'signin-foot' }, 'Your browser keeps a session cookie for 12 hours; your password or token is not stored.'));
  queueMicrotask(() => (mode === 'user' ? user : token).focus());
  return page;
}
