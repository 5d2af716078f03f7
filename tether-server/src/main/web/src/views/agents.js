// The fleet at a glance: counts, filters, and a table whose statuses change live as agents
// connect and disconnect (agent.online / agent.offline from the event stream; no polling).

import { enc, get } from '../api.js';
import { chips, errorText, h, labelList, notice, pill, render, timeEl } from '../dom.js';
import * as events from '../events.js';
import { setQuery } from '../router.js';

export const agentsView = {
  title: 'Agents',
  mount(el, { query }) {
    const state = { agents: new Map(), status: query.status || 'all', label: query.label || '', q: query.q || '', loaded: false };
    const counts = h('div', { class: 'counts', role: 'group', 'aria-label': 'Agent counts' });
    const search = h('input', {
      type: 'search', class: 'input search', placeholder: 'Search agents  (press /)', title: 'Matches name, id, hostname, OS, version and labels', value: state.q,
      'aria-label': 'Search agents', 'data-search': '', on: { input: () => { state.q = search.value; update(); } },
    });
    const statusGroup = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Filter by status' },
      ['all', 'online', 'offline'].map((value) => h('label', { class: 'segment' },
        h('input', { type: 'radio', name: 'status', value, checked: state.status === value,
          on: { change: () => { state.status = value; update(); } } }),
        h('span', {}, value[0].toUpperCase() + value.slice(1)))));
    const labelSelect = h('select', { class: 'input', 'aria-label': 'Filter by label',
      on: { change: () => { state.label = labelSelect.value; update(); } } });
    const body = h('div', { class: 'table-wrap' }, notice('loading', 'Loading agents…'));
    render(el, h('section', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', {}, 'Agents'), counts),
      h('div', { class: 'toolbar' }, search, statusGroup, labelSelect),
      body));

    let disposed = false;
    async function load() {
      try {
        const list = await get('/api/v1/agents');
        if (disposed) return;
        state.agents = new Map(list.agents.map((agent) => [agent.id, agent]));
        state.loaded = true;
        update();
      } catch (e) {
        if (!disposed) render(body, notice('error', 'Could not load the agents', h('p', {}, errorText(e)),
          h('button', { class: 'btn', type: 'button', on: { click: load } }, 'Retry')));
      }
    }

    async function refresh(agentId, hint) {
      const known = state.agents.get(agentId);
      if (known && hint) {
        // Show the change at once; the full record follows.
        state.agents.set(agentId, { ...known, ...hint });
        update();
      }
      try {
        const agent = await get(`/api/v1/agents/${enc(agentId)}`);
        if (!disposed) {
          state.agents.set(agent.id, agent);
          update();
        }
      } catch {
        // A failed refresh leaves the event's own change in place.
      }
    }

    function matches(agent) {
      if (state.status !== 'all' && agent.status !== state.status) return false;
      const labels = labelList({ ...agent.reported_labels, ...agent.labels });
      if (state.label && !labels.includes(state.label)) return false;
      if (state.q) {
        const haystack = [agent.name, agent.id, agent.hostname, agent.os, agent.arch, agent.agent_version, ...labels]
          .filter(Boolean).join(' ').toLowerCase();
        return state.q.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
      }
      return true;
    }

    function update() {
      setQuery({ status: state.status === 'all' ? '' : state.status, label: state.label, q: state.q });
      const all = [...state.agents.values()];
      const online = all.filter((agent) => agent.status === 'online').length;
      render(counts,
        countButton('online', online, 'Online'),
        countButton('offline', all.length - online, 'Offline'),
        countButton('all', all.length, 'Total'));
      updateLabels(all);
      if (!state.loaded) return;
      if (!all.length) {
        render(body, emptyFleet());
        return;
      }
      const shown = all.filter(matches).sort((a, b) => (a.status === b.status ? a.name.localeCompare(b.name)
        : a.status === 'online' ? -1 : 1));
      if (!shown.length) {
        render(body, notice('empty', 'No agents match these filters',
          h('button', { class: 'btn', type: 'button', on: { click: clearFilters } }, 'Clear filters')));
        return;
      }
      const tbody = body.querySelector('tbody');
      const ids = shown.map((agent) => agent.id);
      if (tbody && [...tbody.rows].map((tr) => tr.dataset.agentId).join() === ids.join()) {
        // Same rows in the same order: replace only those that changed, so focus and selection stay put.
        shown.forEach((agent, i) => {
          const signature = JSON.stringify(agent);
          if (tbody.rows[i].dataset.signature !== signature) tbody.rows[i].replaceWith(row(agent));
        });
        body.querySelector('caption').textContent = `Agents: ${shown.length} of ${all.length} shown`;
        return;
      }
      render(body, h('table', { class: 'table agents-table' },
        h('caption', { class: 'sr-only' }, `Agents: ${shown.length} of ${all.length} shown`),
        h('thead', {}, h('tr', {}, ['Status', 'Name', 'Labels', 'Hostname', 'OS / arch', 'Version', 'Node', 'Last seen']
          .map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, shown.map(row))));
    }

    function countButton(status, count, label) {
      return h('button', { type: 'button', class: ['count', `count-${status}`, state.status === status && 'active'],
        'aria-pressed': String(state.status === status), dataset: { count: status },
        on: { click: () => { state.status = status; statusGroup.querySelector(`input[value=${status}]`).checked = true; update(); } } },
      h('span', { class: 'count-value' }, String(count)), h('span', { class: 'count-label' }, label));
    }

    function updateLabels(all) {
      const labels = [...new Set(all.flatMap((agent) => labelList({ ...agent.reported_labels, ...agent.labels })))].sort();
      const options = ['', ...labels];
      if (state.label && !labels.includes(state.label)) options.push(state.label);
      const current = [...labelSelect.options].map((option) => option.value);
      if (current.join('\n') !== options.join('\n')) {
        render(labelSelect, options.map((value) => h('option', { value }, value || 'Any label')));
      }
      labelSelect.value = state.label;
    }

    function clearFilters() {
      state.status = 'all';
      state.label = '';
      state.q = '';
      search.value = '';
      statusGroup.querySelector('input[value=all]').checked = true;
      update();
    }

    const unsubscribe = [
      events.on('agent.online', (event) => refresh(event.agent_id, { status: 'online', last_seen: event.at })),
      events.on('agent.offline', (event) => refresh(event.agent_id, { status: 'offline', node: null, last_seen: event.at })),
    ];
    load();
    return () => {
      disposed = true;
      unsubscribe.forEach((fn) => fn());
    };
  },
};

function row(agent) {
  const href = `/agents/${enc(agent.name)}`;
  const labels = labelList(agent.labels);
  const reported = labelList(agent.reported_labels).filter((label) => !labels.includes(label));
  return h('tr', { dataset: { agentId: agent.id, agentName: agent.name, status: agent.status, signature: JSON.stringify(agent) },
    class: agent.revoked ? 'revoked' : '' },
  h('td', { 'data-field': 'status' }, pill(agent.revoked ? 'revoked' : agent.status)),
  h('td', { class: 'name' }, h('a', { href }, agent.name)),
  h('td', {}, labels.length || reported.length ? h('span', { class: 'chips' },
    labels.map((text) => h('span', { class: 'chip' }, text)),
    reported.map((text) => h('span', { class: 'chip reported', title: 'Reported by the agent' }, text))) : chips([])),
  h('td', { class: 'mono' }, agent.hostname || '—'),
  h('td', {}, agent.os ? `${agent.os} / ${agent.arch}` : '—'),
  h('td', { class: 'mono' }, agent.agent_version || '—'),
  h('td', { class: 'mono', 'data-field': 'node', title: 'The server node holding its connection' }, agent.node || '—'),
  h('td', {}, agent.status === 'online' ? h('span', { class: 'now' }, 'now') : timeEl(agent.last_seen, 'never')));
}

function emptyFleet() {
  return notice('empty', 'No agents yet',
    h('p', {}, 'Enrol one, copy its key file to the host, and start the agent there:'),
    h('pre', { class: 'snippet' },
      'tether agents create web-1 --label env=prod --key-file web-1.key\n',
      'tether agent --server https://tether.example.com --key-file web-1.key'),
    h('p', {}, 'It appears here the moment it connects.'));
}
