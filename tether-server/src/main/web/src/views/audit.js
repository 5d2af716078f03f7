// The audit log: who did what, when, from where; filters by actor, action, target and time.

import { allAgents, get, query } from '../api.js';
import { errorText, h, notice, render, when } from '../dom.js';
import { setQuery } from '../router.js';

/** Suggestions for the action filter; any action name works. */
const ACTIONS = ['shell.session', 'auth.sign_in', 'auth.sign_out', 'auth.sign_in_failed', 'agent.create', 'agent.revoke',
  'agent.config', 'command.create', 'command.cancel', 'job.cancel', 'user.create', 'user.login', 'user.login_failed',
  'user.disable'];

export const auditView = {
  title: 'Audit',
  mount(el, { query: params }) {
    let disposed = false;
    let next = null;
    let rows = [];
    let names = new Map();
    const actor = h('input', { class: 'input', id: 'audit-actor', placeholder: 'admin', value: params.actor || '', 'data-search': '' });
    const action = h('input', { class: 'input', id: 'audit-action', list: 'audit-actions', placeholder: 'any', value: params.action || '' });
    const target = h('input', { class: 'input mono', id: 'audit-target', placeholder: 'agent or command id', value: params.target || '' });
    const since = h('input', { class: 'input', id: 'audit-since', type: 'datetime-local', value: params.since ? local(params.since) : '' });
    const until = h('input', { class: 'input', id: 'audit-until', type: 'datetime-local', value: params.until ? local(params.until) : '' });
    const list = h('div', { class: 'table-wrap' }, notice('loading', 'Loading the audit log…'));
    const more = h('button', { class: 'btn', type: 'button', hidden: true, on: { click: () => load(true) } }, 'Load more');
    const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log', on: { submit: (e) => { e.preventDefault(); load(false); } } },
      field('Actor', actor), field('Action', action), field('Target', target), field('Since', since), field('Until', until),
      h('div', { class: 'filter-actions' },
        h('button', { class: 'btn primary', type: 'submit' }, 'Apply'),
        h('button', { class: 'btn ghost', type: 'button', on: { click: () => { [actor, action, target, since, until].forEach((input) => { input.value = ''; }); load(false); } } }, 'Clear')),
      h('datalist', { id: 'audit-actions' }, ACTIONS.map((value) => h('option', { value }))));
    render(el, h('section', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', {}, 'Audit log')), form, list, h('div', { class: 'more' }, more)));

    function filters() {
      return {
        actor: actor.value.trim(), action: action.value.trim(), target: target.value.trim(),
        since: since.value ? new Date(since.value).toISOString() : '', until: until.value ? new Date(until.value).toISOString() : '',
      };
    }

    async function load(append) {
      const current = filters();
      if (!append) setQuery(current);
      try {
        const page = await get(`/api/v1/audit${query({ ...current, limit: 100, before: append ? next : '' })}`);
        if (disposed) return;
        rows = append ? rows.concat(page.entries) : page.entries;
        next = page.entries.length < 100 ? null : page.next_before;
        more.hidden = next === null || next === undefined;
        render(list, rows.length ? table(rows, names) : notice('empty', Object.values(current).some(Boolean) ? 'No entries match these filters' : 'The audit log is empty'));
      } catch (e) {
        if (!disposed) render(list, notice('error', 'Could not load the audit log', h('p', {}, errorText(e))));
      }
    }

    allAgents().then((agents) => {
      names = new Map(agents.map((agent) => [agent.id, agent.name]));
    }, () => {}).finally(() => !disposed && load(false));
    return () => {
      disposed = true;
    };
  },
};

function field(label, input) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}

function table(rows, names) {
  return h('table', { class: 'table audit-table' },
    h('thead', {}, h('tr', {}, ['When', 'Actor', 'Action', 'Target', 'From', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((entry) => h('tr', {},
      h('td', { class: 'nowrap' }, h('time', { datetime: entry.at }, when(entry.at))),
      h('td', {}, entry.actor),
      h('td', {}, h('span', { class: 'chip' }, entry.action)),
      h('td', {}, entry.target ? target(entry, names) : '—'),
      h('td', { class: 'mono' }, entry.source || '—'),
      h('td', {}, details(entry))))));
}

function target(entry, names) {
  const name = names.get(entry.target);
  const agent = name ? h('a', { href: `/agents/${encodeURIComponent(name)}` }, name) : h('span', { class: 'mono' }, entry.target);
  if (entry.action === 'shell.session' && entry.details?.session) {
    return h('span', { class: 'target' }, agent, ' ', h('a', { class: 'btn small', href: `/sessions/${entry.details.session}`,
      'aria-label': `Play session ${entry.details.session.slice(0, 8)}` }, 'Play'));
  }
  return agent;
}

/** The details object as "key value" pairs; the full JSON is the tooltip. */
function details(entry) {
  const fields = Object.entries(entry.details || {}).filter(([, value]) => value !== null && value !== '' && !(Array.isArray(value) && !value.length));
  if (!fields.length) return h('span', { class: 'muted' }, '—');
  const show = (value) => (typeof value === 'object' ? JSON.stringify(value) : String(value));
  const text = (key, value) => {
    if (key.endsWith('_at') && typeof value === 'number') return when(new Date(value).toISOString());
    if (key === 'session') return show(value).slice(0, 8);
    return show(value).length > 40 ? `${show(value).slice(0, 40)}…` : show(value);
  };
  return h('span', { class: 'details', title: JSON.stringify(entry.details) },
    fields.slice(0, 6).map(([key, value]) => h('span', { class: 'detail' }, h('span', { class: 'muted' }, key.replace(/_/g, ' ')), ' ',
      text(key, value))));
}

function local(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
