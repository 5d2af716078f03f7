// The fleet at a glance: a page of agents at a time in name order (Load more for the next), filtered by the
// server (status, label selector, part of the name), with counts of what is loaded and statuses that change
// live as agents connect and disconnect (agent.online / agent.offline from the event stream; no polling).

import { enc, get, query } from '../api.js';
import { chips, errorText, h, labelList, notice, pill, render, timeEl } from '../dom.js';
import * as events from '../events.js';
import { setQuery } from '../router.js';

/** Agents asked for per page; "Load more" asks for the next. */
const PAGE = 100;

export const agentsView = {
  title: 'Agents',
  mount(el, { query: params }) {
    const state = { agents: new Map(), next: null, status: params.status || 'all', label: params.label || '', q: params.q || '', loaded: false };
    const counts = h('div', { class: 'counts', role: 'group', 'aria-label': 'Agent counts (of the agents loaded)' });
    let typing = null;
    const search = h('input', {
      type: 'search', class: 'input search', placeholder: 'Search names  (press /)', title: 'Matches part of an agent\'s name, in any case', value: state.q,
      maxlength: '63', 'aria-label': 'Search agents by name', 'data-search': '',
      on: { input: () => { clearTimeout(typing); typing = setTimeout(() => { state.q = search.value.trim(); load(true); }, 250); } },
    });
    const statusGroup = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Filter by status' },
      ['all', 'online', 'offline'].map((value) => h('label', { class: 'segment' },
        h('input', { type: 'radio', name: 'status', value, checked: state.status === value,
          on: { change: () => { state.status = value; load(true); } } }),
        h('span', {}, value[0].toUpperCase() + value.slice(1)))));
    const labelSelect = h('select', { class: 'input', 'aria-label': 'Filter by label',
      on: { change: () => { state.label = labelSelect.value; load(true); } } });
    const body = h('div', { class: 'table-wrap' }, notice('loading', 'Loading agents…'));
    const more = h('button', { class: 'btn', type: 'button', hidden: true, 'data-more': '', on: { click: () => load(false) } }, 'Load more');
    render(el, h('section', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', {}, 'Agents'), counts),
      h('div', { class: 'toolbar' }, search, statusGroup, labelSelect),
      body, h('div', { class: 'more' }, more)));

    let disposed = false;
    let generation = 0;
    /** The first page again (`reset`: a filter changed), or the page after the last one loaded. */
    async function load(reset) {
      const mine = ++generation;
      more.disabled = true;
      try {
        const page = await get(`/api/v1/agents${query({ limit: PAGE, before: reset ? '' : state.next,
          status: state.status === 'all' ? '' : state.status, selector: state.label, q: state.q })}`);
        if (disposed || mine !== generation) return;
        if (reset) state.agents = new Map();
        page.agents.forEach((agent) => state.agents.set(agent.id, agent));
        state.next = page.next_before;
        state.loaded = true;
        update();
      } catch (e) {
        if (!disposed && mine === generation) render(body, notice('error', 'Could not load the agents', h('p', {}, errorText(e)),
          h('button', { class: 'btn', type: 'button', on: { click: () => load(true) } }, 'Retry')));
      } finally {
        if (mine === generation) more.disabled = false;
      }
    }

    async function refresh(agentId, hint) {
      const known = state.agents.get(agentId);
      // An agent not loaded is added only when every page is: otherwise it belongs to a page not loaded yet.
      if (!known && state.next) return;
      if (known && hint) {
        // Show the change at once; the full record follows.
        state.agents.set(agentId, { ...known, ...hint });
        update();
      }
      try {
        const agent = await get(`/api/v1/agents/${enc(agentId)}`);
        if (!disposed && (known || matches(agent))) {
          state.agents.set(agent.id, agent);
          update();
        }
      } catch {
        // A failed refresh leaves the event's own change in place.
      }
    }

    /** The server filtered what it sent; this keeps rows whose status changed live within the filters. */
    function matches(agent) {
      if (state.status !== 'all' && agent.status !== state.status) return false;
      if (state.label && !labelList(agent.labels).includes(state.label)) return false;
      return !state.q || agent.name.toLowerCase().includes(state.q.toLowerCase());
    }

    function filtered() {
      return state.status !== 'all' || state.label || state.q;
    }

    function update() {
      setQuery({ status: state.status === 'all' ? '' : state.status, label: state.label, q: state.q });
      const all = [...state.agents.values()];
      const online = all.filter((agent) => agent.status === 'online').length;
      const plus = state.next ? '+' : '';
      render(counts,
        countButton('online', online, 'Online', plus),
        countButton('offline', all.length - online, 'Offline', plus),
        countButton('all', all.length, 'Total', plus));
      updateLabels(all);
      more.hidden = !state.next;
      more.textContent = `Load more (${all.length} shown)`;
      if (!state.loaded) return;
      if (!all.length && !filtered()) {
        render(body, emptyFleet());
        return;
      }
      const shown = all.filter(matches).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (!shown.length) {
        render(body, notice('empty', 'No agents match these filters',
          h('button', { class: 'btn', type: 'button', on: { click: clearFilters } }, 'Clear filters')));
        return;
      }
      const caption = `Agents: ${shown.length} shown${state.next ? ', more to load' : ''}`;
      const tbody = body.querySelector('tbody');
      const ids = shown.map((agent) => agent.id);
      if (tbody && [...tbody.rows].map((tr) => tr.dataset.agentId).join() === ids.join()) {
        // Same rows in the same order: replace only those that changed, so focus and selection stay put.
        shown.forEach((agent, i) => {
          const signature = JSON.stringify(agent);
          if (tbody.rows[i].dataset.signature !== signature) tbody.rows[i].replaceWith(row(agent));
        });
        body.querySelector('caption').textContent = caption;
        return;
      }
      render(body, h('table', { class: 'table agents-table' },
        h('caption', { class: 'sr-only' }, caption),
        h('thead', {}, h('tr', {}, ['Status', 'Name', 'Labels', 'Hostname', 'OS / arch', 'Version', 'Node', 'Last seen']
          .map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, shown.map(row))));
    }

    function countButton(status, count, label, suffix = '') {
      return h('button', { type: 'button', class: ['count', `count-${status}`, state.status === status && 'active'],
        'aria-pressed': String(state.status === status), dataset: { count: status },
        title: suffix ? 'Of the agents loaded so far' : '',
        on: { click: () => { state.status = status; statusGroup.querySelector(`input[value=${status}]`).checked = true; load(true); } } },
      h('span', { class: 'count-value' }, `${count}${suffix}`), h('span', { class: 'count-label' }, label));
    }

    /** Server-assigned labels of the agents loaded, as key=value: what a selector can match. */
    function updateLabels(all) {
      const labels = [...new Set(all.flatMap((agent) => labelList(agent.labels)))]
        .filter((label) => !/[,]/.test(label) && label.indexOf('=', label.indexOf('=') + 1) < 0).sort();
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
      load(true);
    }

    const unsubscribe = [
      events.on('agent.online', (event) => refresh(event.agent_id, { status: 'online', last_seen: event.at })),
      events.on('agent.offline', (event) => refresh(event.agent_id, { status: 'offline', node: null, last_seen: event.at })),
    ];
    load(true);
    return () => {
      disposed = true;
      clearTimeout(typing);
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
