// One agent: facts, labels, capabilities, heartbeat charts, configuration (edit and push),
// recent events, jobs and shell sessions; open a terminal, run a command, revoke.

import { ApiError, enc, get, may, post, put, query, role } from '../api.js';
import { chart } from '../charts.js';
import { between, bytes, chips, duration, errorText, h, labelList, notice, pill, render, timeEl, when } from '../dom.js';
import * as events from '../events.js';
import { navigate } from '../router.js';
import * as terminals from '../terminals.js';

const METRICS_REFRESH_MS = 15_000;

export const agentView = {
  title: 'Agent',
  mount(el, { params }) {
    let agent = null;
    let disposed = false;
    const live = [];
    const head = h('div', { class: 'page-head' }, h('h1', {}, params.id));
    const actions = h('div', { class: 'agent-actions' });
    const facts = card('Facts');
    const labels = card('Labels and capabilities');
    const metrics = card('Heartbeats, last hour', 'wide');
    const config = card('Configuration', 'wide');
    const recent = card('Recent events');
    const jobs = card('Jobs');
    const sessions = card('Shell sessions', 'wide');
    render(el, h('section', { class: 'page' },
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/agents' }, 'Agents'), h('span', { 'aria-hidden': 'true' }, ' / '), h('span', {}, params.id)),
      head, actions, h('div', { class: 'cards' }, facts, labels, metrics, config, recent, jobs, sessions)));
    body(facts).append(notice('loading', 'Loading…'));

    async function load() {
      try {
        agent = await get(`/api/v1/agents/${enc(params.id)}`);
      } catch (e) {
        if (disposed) return;
        render(el, h('section', { class: 'page' }, notice('error', e.status === 404 ? `No agent named ${params.id}` : 'Could not load the agent',
          h('p', {}, errorText(e)), h('p', {}, h('a', { href: '/agents' }, 'Back to the agents')))));
        return;
      }
      if (disposed) return;
      document.title = `${agent.name} · Tether`;
      showAgent();
      loadMetrics();
      loadConfig();
      loadEvents();
      loadJobs();
      loadSessions();
    }

    function showAgent() {
      render(head, h('h1', {}, agent.name), pill(agent.revoked ? 'revoked' : agent.status),
        agent.status_state ? h('span', { class: 'muted' }, `${agent.status_state}${agent.status_message ? `: ${agent.status_message}` : ''}`) : null);
      renderActions();
      render(body(facts), h('dl', { class: 'facts' },
        fact('ID', h('code', {}, agent.id)),
        fact('Hostname', agent.hostname || '—'),
        fact('OS / arch', agent.os ? `${agent.os} / ${agent.arch}` : '—'),
        fact('Agent version', agent.agent_version || '—'),
        agent.status === 'online' ? fact('Connected', timeEl(agent.connected_since)) : fact('Last seen', timeEl(agent.last_seen, 'never')),
        agent.node ? fact('Server node', h('code', {}, agent.node)) : null,
        fact('Uptime', agent.metrics ? duration(agent.metrics.uptime_s) : '—'),
        fact('Enrolled', when(agent.created_at))));
      render(body(labels), h('dl', { class: 'facts' },
        fact('Labels', chips(labelList(agent.labels))),
        fact('Reported by the agent', chips(labelList(agent.reported_labels), 'reported')),
        fact('Capabilities', chips(agent.capabilities || [], 'capability'))));
    }

    function shellRefusal() {
      if (!may('operator')) return `Your role (${role()}) may look but not open shells.`;
      if (agent.revoked) return 'The agent is revoked.';
      if (agent.status !== 'online') return 'The agent is offline: a terminal needs it connected.';
      if (!(agent.capabilities || []).includes('shell')) return 'The agent does not serve shells: start it with --enable-shell.';
      return null;
    }

    function renderActions() {
      const refusal = shellRefusal();
      const terminal = h('button', {
        class: 'btn primary', type: 'button', disabled: Boolean(refusal), 'aria-describedby': refusal ? 'shell-reason' : undefined,
        dataset: { action: 'open-terminal' },
        on: { click: () => { navigate('/terminals'); terminals.open({ id: agent.id, name: agent.name }); } },
      }, 'Open terminal');
      render(actions,
        terminal,
        refusal ? h('span', { id: 'shell-reason', class: 'reason', role: 'note' }, refusal) : null,
        h('a', { class: 'btn', href: `/run${query({ agent: agent.name })}` }, 'Run a command'),
        h('span', { class: 'spacer' }),
        agent.revoked || !may('admin') ? null : h('button', { class: 'btn danger', type: 'button', on: { click: confirmRevoke } }, 'Revoke…'));
    }

    async function loadMetrics() {
      if (disposed || !agent) return;
      try {
        const data = await get(`/api/v1/agents/${enc(agent.id)}/metrics`);
        if (disposed) return;
        const now = Date.now();
        const series = (pick) => {
          const points = data.samples.map((s) => ({ t: Date.parse(s.at), v: pick(s) }));
          if (data.latest) points.push({ t: Date.parse(data.latest.at), v: pickLatest(pick, data.latest) });
          return points;
        };
        const percent = (v) => (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10);
        if (!data.samples.length && !data.latest) {
          render(body(metrics), notice('empty', 'No heartbeats in the last hour',
            h('p', {}, 'CPU, memory, disk and outbox charts fill in while the agent is connected: one sample a minute, kept for an hour.')));
          return;
        }
        render(body(metrics), h('div', { class: 'charts' },
          chart(series((s) => s.cpu_percent), { title: 'CPU', unit: '%', max: 100, format: percent, now }),
          chart(series((s) => s.mem_percent), { title: 'Memory', unit: '%', max: 100, format: percent, now }),
          chart(series((s) => s.disk_percent), { title: 'Disk', unit: '%', max: 100, format: percent, now }),
          chart(series((s) => s.outbox_depth), { title: 'Outbox depth', format: (v) => String(Math.round(v)), now })),
        data.latest ? h('p', { class: 'muted small' },
          `Memory ${bytes(data.latest.mem_used_bytes)} of ${bytes(data.latest.mem_total_bytes)} · disk ${bytes(data.latest.disk_used_bytes)} of ${bytes(data.latest.disk_total_bytes)} · one sample a minute, refreshed every ${METRICS_REFRESH_MS / 1000} s`)
          : h('p', { class: 'muted small' }, 'The agent is not connected: the charts show what it reported while it was.'));
      } catch (e) {
        if (!disposed) render(body(metrics), notice('error', 'Could not load the metrics', h('p', {}, errorText(e))));
      }
    }
    const metricsTimer = setInterval(() => agent?.status === 'online' && loadMetrics(), METRICS_REFRESH_MS);

    let configPoll = null;
    async function loadConfig() {
      let state = null;
      try {
        state = await get(`/api/v1/agents/${enc(agent.id)}/config`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) {
          if (!disposed) render(body(config), notice('error', 'Could not load the configuration', h('p', {}, errorText(e))));
          return;
        }
      }
      if (!disposed) renderConfig(state);
      return state;
    }

    function renderConfig(state) {
      const text = state && state.config !== null && state.config !== undefined ? JSON.stringify(state.config, null, 2) : '{\n}';
      const editor = h('textarea', { class: 'input code', rows: Math.min(18, Math.max(6, text.split('\n').length + 1)), spellcheck: 'false',
        'aria-label': 'Configuration (JSON)', 'aria-describedby': 'config-status', value: text });
      const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
      const push = h('button', { class: 'btn primary', type: 'submit' }, 'Push configuration');
      const format = h('button', { class: 'btn', type: 'button', on: { click: () => {
        try {
          editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
          message.hidden = true;
        } catch (e) {
          showError(`Not valid JSON: ${e.message}`);
        }
      } } }, 'Format');
      function showError(textValue) {
        message.textContent = textValue;
        message.hidden = false;
      }
      const form = h('form', { class: 'config-form', on: { submit: async (event) => {
        event.preventDefault();
        let parsed;
        try {
          parsed = JSON.parse(editor.value);
        } catch (e) {
          showError(`Not valid JSON: ${e.message}`);
          editor.focus();
          return;
        }
        push.disabled = true;
        try {
          const next = await put(`/api/v1/agents/${enc(agent.id)}/config`, JSON.stringify(parsed));
          renderConfig(next);
          watchApplied(next.version);
        } catch (e) {
          showError(errorText(e));
          push.disabled = false;
        }
      } } }, h('p', { id: 'config-status', class: 'config-status' }, configStatus(state)), editor, message,
      h('div', { class: 'form-actions' }, push, format,
        h('span', { class: 'muted small' }, 'Stored as a new version and delivered to the agent now, or when it reconnects.')));
      render(body(config), form);
    }

    function watchApplied(version) {
      clearInterval(configPoll);
      let tries = 0;
      configPoll = setInterval(async () => {
        const state = await loadConfig().catch(() => null);
        if (++tries > 15 || !state || state.applied_version >= version || state.error_version >= version) clearInterval(configPoll);
      }, 2000);
    }

    async function loadEvents() {
      try {
        const page = await get(`/api/v1/agents/${enc(agent.id)}/events?limit=20`);
        if (!disposed) render(body(recent), eventList(page.events));
      } catch (e) {
        if (!disposed) render(body(recent), notice('error', 'Could not load the events', h('p', {}, errorText(e))));
      }
    }

    async function loadJobs() {
      try {
        const page = await get(`/api/v1/agents/${enc(agent.id)}/jobs?limit=10`);
        if (!disposed) render(body(jobs), jobTable(page.jobs));
      } catch (e) {
        if (!disposed) render(body(jobs), notice('error', 'Could not load the jobs', h('p', {}, errorText(e))));
      }
    }

    async function loadSessions() {
      try {
        const page = await get(`/api/v1/sessions?agent=${enc(agent.id)}&limit=10`);
        if (!disposed) render(body(sessions), sessionTable(page.sessions));
      } catch (e) {
        if (!disposed) render(body(sessions), notice('error', 'Could not load the sessions', h('p', {}, errorText(e))));
      }
    }

    async function refreshAgent() {
      try {
        agent = await get(`/api/v1/agents/${enc(agent.id)}`);
        if (!disposed) {
          showAgent();
          loadMetrics();
        }
      } catch {
        // Keep what is shown.
      }
    }

    function confirmRevoke() {
      const input = h('input', { class: 'input', id: 'revoke-confirm', autocomplete: 'off', spellcheck: 'false' });
      const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
      const confirm = h('button', { class: 'btn danger', type: 'submit', disabled: true }, 'Revoke agent');
      input.addEventListener('input', () => { confirm.disabled = input.value !== agent.name; });
      const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'revoke-title' },
        h('form', { method: 'dialog', on: { submit: async (event) => {
          event.preventDefault();
          confirm.disabled = true;
          try {
            agent = await post(`/api/v1/agents/${enc(agent.id)}/revoke`);
            dialog.close();
            showAgent();
          } catch (e) {
            error.textContent = errorText(e);
            error.hidden = false;
            confirm.disabled = false;
          }
        } } },
        h('h2', { id: 'revoke-title' }, `Revoke ${agent.name}?`),
        h('p', {}, 'Its key stops working at once: the agent is disconnected now and refused from then on. This cannot be undone; to bring the host back, enrol it again with a new key.'),
        h('label', { for: 'revoke-confirm' }, 'Type ', h('strong', {}, agent.name), ' to confirm'),
        input, error,
        h('div', { class: 'dialog-actions' },
          h('button', { class: 'btn', type: 'button', on: { click: () => dialog.close() } }, 'Cancel'), confirm)));
      dialog.addEventListener('close', () => dialog.remove());
      document.body.append(dialog);
      dialog.showModal();
      input.focus();
    }

    const mine = (event) => agent && event.agent_id === agent.id;
    let jobsTimer;
    live.push(
      events.on('agent.online', (event) => mine(event) && refreshAgent()),
      events.on('agent.offline', (event) => mine(event) && refreshAgent()),
      events.on('agent.event', (event) => {
        if (!mine(event)) return;
        const list = body(recent).querySelector('.events');
        const item = eventItem({ type: event.type, payload: event.payload, occurred_at: event.occurred_at, seq: event.seq });
        if (list) list.prepend(item);
        else render(body(recent), eventList([event]));
      }),
      events.on('job.state', (event) => {
        if (!mine(event)) return;
        clearTimeout(jobsTimer);
        jobsTimer = setTimeout(loadJobs, 300);
      }),
    );
    load();
    return () => {
      disposed = true;
      clearInterval(metricsTimer);
      clearInterval(configPoll);
      clearTimeout(jobsTimer);
      live.forEach((fn) => fn());
    };
  },
};

const END_REASONS = {
  exited: 'the program exiting', closed: 'the operator', idle: 'idle timeout', agent_lost: 'agent lost', server_stopped: 'server stop',
};

export function endReason(reason) {
  return reason ? END_REASONS[reason] || reason.replace(/_/g, ' ') : '—';
}

function pickLatest(pick, latest) {
  return pick({
    cpu_percent: latest.cpu_percent,
    mem_percent: latest.mem_total_bytes ? (100 * latest.mem_used_bytes) / latest.mem_total_bytes : 0,
    disk_percent: latest.disk_total_bytes ? (100 * latest.disk_used_bytes) / latest.disk_total_bytes : 0,
    outbox_depth: latest.outbox_depth,
  });
}

function card(title, size = '') {
  const id = `card-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { class: ['card', size], 'aria-labelledby': id }, h('h2', { id }, title), h('div', { class: 'card-body' }));
}

function body(cardEl) {
  return cardEl.querySelector('.card-body');
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function configStatus(state) {
  if (!state || !state.version) return h('span', { class: 'muted' }, 'No configuration has been set for this agent yet.');
  const parts = [h('strong', {}, `Version ${state.version}`), ' · '];
  if (state.error && state.error_version >= state.version) {
    parts.push(pill('failed', 'rejected'), ` The agent rejected it: ${state.error}`);
  } else if (state.applied) {
    parts.push(pill('succeeded', 'applied'), ' The agent runs this version.');
  } else {
    parts.push(pill('queued', 'pending'), ` Waiting for the agent to apply it${state.applied_version ? ` (it runs version ${state.applied_version})` : ''}.`);
  }
  return parts;
}

function eventList(list) {
  if (!list.length) return notice('empty', 'No events yet', h('p', {}, 'Events the agent publishes appear here as they arrive.'));
  return h('ol', { class: 'events' }, list.map(eventItem));
}

function eventItem(event) {
  const payload = event.payload === null || event.payload === undefined ? '' : typeof event.payload === 'string' ? event.payload : JSON.stringify(event.payload);
  return h('li', { class: 'event' },
    h('span', { class: 'event-type' }, event.type),
    timeEl(event.occurred_at),
    payload && payload !== '{}' ? h('code', { class: 'event-payload', title: payload }, payload) : null);
}

function jobTable(list) {
  if (!list.length) return notice('empty', 'No jobs yet', h('p', {}, h('a', { href: '/run' }, 'Run a command'), ' to see it here.'));
  return h('table', { class: 'table compact' },
    h('thead', {}, h('tr', {}, ['State', 'Command', 'Exit', 'Started', 'Took'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map((job) => h('tr', {},
      h('td', {}, pill(job.state)),
      h('td', {}, h('a', { href: `/run${query({ command: job.command_id })}`, class: 'mono' }, job.command_id.slice(0, 12))),
      h('td', { class: 'mono' }, job.exit_code ?? '—'),
      h('td', {}, timeEl(job.started_at || job.created_at)),
      h('td', {}, job.started_at ? between(job.started_at, job.finished_at) : '—')))));
}

export function sessionTable(list, { showAgent = false, agents = new Map() } = {}) {
  if (!list.length) return notice('empty', 'No shell sessions yet', h('p', {}, 'Sessions opened on this agent are recorded and can be played back.'));
  return h('table', { class: 'table compact' },
    h('thead', {}, h('tr', {}, [showAgent ? 'Agent' : null, 'Started', 'Who', 'Took', 'Exit', 'State', 'Ended by', ''].filter((t) => t !== null).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map((session) => h('tr', { dataset: { session: session.id } },
      showAgent ? h('td', {}, h('a', { href: `/agents/${enc(agents.get(session.agent_id) || session.agent_id)}` }, agents.get(session.agent_id) || session.agent_id.slice(0, 12))) : null,
      h('td', {}, timeEl(session.started_at)),
      h('td', {}, session.actor),
      h('td', {}, between(session.started_at, session.ended_at)),
      h('td', { class: 'mono' }, session.exit_code ?? (session.signal || '—')),
      h('td', {}, pill(session.state === 'running' ? 'running' : session.exit_code === 0 ? 'succeeded' : 'ended', session.state)),
      h('td', { class: 'muted' }, endReason(session.end_reason)),
      h('td', {}, session.recording ? h('a', { href: `/sessions/${session.id}`, class: 'btn small', 'aria-label': `Play the recording of session ${session.id.slice(0, 8)}` }, 'Play') : h('span', { class: 'muted' }, 'no recording'))))));
}
