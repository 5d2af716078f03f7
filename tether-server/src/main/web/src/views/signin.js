// Sign-in: the admin token, exchanged once for an HttpOnly session cookie (the token is not kept).

import { request, setCsrfToken } from '../api.js';
import { h } from '../dom.js';

export function signInPage({ message, signedIn }) {
  const token = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true,
    spellcheck: 'false', placeholder: 'tat_…', 'aria-describedby': 'token-help',
  });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const button = h('button', { class: 'btn primary wide', type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'signin-form', 'aria-labelledby': 'signin-title', on: { submit } },
    h('div', { class: 'signin-brand' }, h('img', { src: '/favicon.svg', alt: '', width: 40, height: 40 }),
      h('span', {}, 'Tether')),
    h('h1', { id: 'signin-title' }, 'Sign in'),
    message ? h('p', { class: 'signin-message', role: 'status' }, message) : null,
    h('label', { for: 'token' }, 'Admin token'),
    token,
    h('p', { id: 'token-help', class: 'help' },
      'The token the server printed on its first start, or TETHER_ADMIN_TOKEN. With ',
      h('code', {}, 'tether server --dev'), ' it is in ', h('code', {}, 'tether-data/admin.token'), '.'),
    error,
    button);

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    if (!token.value.trim()) {
      showError('Enter the admin token.');
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const session = await request('POST', '/api/v1/session', { token: token.value.trim() }, { quiet401: true });
      token.value = '';
      setCsrfToken(session.csrf_token);
      signedIn(session);
    } catch (e) {
      showError(e.status === 401 ? 'That is not an admin token. Check it and try again.' : e.message);
      button.disabled = false;
      button.textContent = 'Sign in';
      token.focus();
      token.select();
    }
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
    token.setAttribute('aria-invalid', 'true');
  }

  const page = h('div', { class: 'signin' }, form,
    h('p', { class: 'signin-foot' }, 'Your browser keeps a session cookie for 12 hours; the token itself is not stored.'));
  queueMicrotask(() => token.focus());
  return page;
}
