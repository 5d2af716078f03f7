// Run a command on agents chosen by hand or by label selector, and watch each agent's output
// live (GET /api/v1/commands/{id}/output?follow=true) with its state and exit code; cancel.

import { allAgents, enc, get, post, query } from '../api.js';
import { errorText, h, notice, pill, render, timeEl } from '../dom.js';
import { navigate } from '../router.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'expired', 'lost']);

export const runView = {
  title: 'Run',
  mount(el, { query: params }) {
    let disposed = false;
    let stream = null;
    const preselected = new Set(params.agent ? [params.agent] : []);
    const mode = { value: params.selector ? 'selector' : 'agents' };
    const agentList = h('div', { class: 'agent-picks', role: 'group', 'aria-label': 'Agents to run on' }, notice('loading', 'Loading agents…'));
    const pickFilter = h('input', { type: 'search', class: 'input', placeholder: 'Filter agents', 'aria-label': 'Filter the agent list', 'data-search': '',
      on: { input: () => filterPicks() } });
    const selector = h('input', { class: 'input mono', id: 'selector', name: 'selector', placeholder: 'env=prod,role!=db', value: params.selector || '',
      'aria-describedby': 'selector-help', spellcheck: 'false', autocomplete: 'off' });
    const command = h('input', { class: 'input mono', id: 'command', name: 'command', required: true, placeholder: 'uptime && df -h /',
      'aria-describedby': 'command-help', spellcheck: 'false', autocomplete: 'off' });
    const timeout = h('input', { class: 'input', id: 'timeout', type: 'number', min: '0', max: '604800', placeholder: 'none', inputmode: 'numeric' });
    const concurrency = h('input', { class: 'input', id: 'concurrency', type: 'number', min: '0', placeholder: 'all at once', inputmode: 'numeric' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const runButton = h('button', { class: 'btn primary', type: 'submit' }, 'Run');
    const byAgents = h('div', { class: 'target-agents' }, pickFilter, agentList);
    const bySelector = h('div', { class: 'target-selector', hidden: true },
      h('label', { for: 'selector' }, 'Label selector'), selector,
      h('p', { id: 'selector-help', class: 'help' }, 'Comma-separated terms that must all match: key=value, key!=value, key (present), !key (absent).'));
    const modes = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Choose targets by' },
      [['agents', 'Pick agents'], ['selector', 'Label selector']].map(([value, label]) => h('label', { class: 'segment' },
        h('input', { type: 'radio', name: 'mode', value, checked: mode.value === value, on: { change: () => setMode(value) } }),
        h('span', {}, label))));
    const form = h('form', { class: 'card run-form', 'aria-labelledby': 'run-title', on: { submit } },
      h('h2', { id: 'run-title' }, 'New command'),
      h('fieldset', {}, h('legend', {}, 'Targets'), modes, byAgents, bySelector),
      h('label', { for: 'command' }, 'Command'), command,
      h('p', { id: 'command-help', class: 'help' }, 'Runs as ', h('code', {}, "sh -c '…'"), ' on each agent, in the agent\'s working directory.'),
      h('details', { class: 'options' }, h('summary', {}, 'Options'),
        h('div', { class: 'option-grid' },
          h('label', { for: 'timeout' }, 'Timeout (seconds)'), timeout,
          h('label', { for: 'concurrency' }, 'Max concurrency'), concurrency)),
      error,
      h('div', { class: 'form-actions' }, runButton));
    const output = h('section', { class: 'run-output', 'aria-live': 'polite', 'aria-label': 'Command output' });
    const recent = h('section', { class: 'card recent-commands', 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, 'Recent commands'), h('div', { class: 'card-body' }));
    render(el, h('section', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', {}, 'Run')),
      h('div', { class: 'run-layout' }, h('div', { class: 'run-side' }, form, recent), output)));
    setMode(mode.value);

    function setMode(value) {
      mode.value = value;
      byAgents.hidden = value !== 'agents';
      bySelector.hidden = value !== 'selector';
    }

    async function loadAgents() {
      try {
        const all = await allAgents({ revoked: false });
        if (disposed) return;
        const agents = all.sort((a, b) => a.name.localeCompare(b.name));
        if (!agents.length) {
          render(agentList, notice('empty', 'No agents to run on', h('p', {}, 'Enrol an agent first.')));
          return;
        }
        render(agentList, agents.map((agent) => h('label', { class: 'pick', dataset: { name: agent.name } },
          h('input', { type: 'checkbox', name: 'agent', value: agent.name, checked: preselected.has(agent.name) || preselected.has(agent.id) }),
          h('span', { class: 'pick-name' }, agent.name),
          pill(agent.status))));
      } catch (e) {
        if (!disposed) render(agentList, notice('error', 'Could not load the agents', h('p', {}, errorText(e))));
      }
    }

    function filterPicks() {
      const words = pickFilter.value.toLowerCase();
      for (const pick of agentList.querySelectorAll('.pick')) pick.hidden = words && !pick.dataset.name.toLowerCase().includes(words);
    }

    async function loadRecent() {
      try {
        const list = await get('/api/v1/commands?limit=8');
        if (disposed) return;
        const commands = list.commands || [];
        render(recent.querySelector('.card-body'), commands.length ? h('ul', { class: 'recent' }, commands.map((c) => h('li', {},
          h('a', { href: `/run${query({ command: c.id })}` }, h('code', {}, c.type === 'exec' ? shellText(c.argv) : c.type)),
          ' ', pill(c.state), ' ', timeEl(c.created_at))))
          : h('p', { class: 'muted' }, 'None yet.'));
      } catch {
        render(recent.querySelector('.card-body'), h('p', { class: 'muted' }, 'Could not load recent commands.'));
      }
    }

    async function submit(event) {
      event.preventDefault();
      error.hidden = true;
      const line = command.value.trim();
      const body = { type: 'exec', argv: ['sh', '-c', line] };
      if (!line) return fail('Enter a command to run.', command);
      if (mode.value === 'agents') {
        const chosen = [...agentList.querySelectorAll('input[name=agent]:checked')].map((input) => input.value);
        if (!chosen.length) return fail('Choose at least one agent, or use a label selector.');
        body.agents = chosen;
      } else {
        if (!selector.value.trim()) return fail('Enter a label selector such as env=prod.', selector);
        body.selector = selector.value.trim();
      }
      if (timeout.value) body.timeout_s = Number(timeout.value);
      if (concurrency.value) body.max_concurrency = Number(concurrency.value);
      runButton.disabled = true;
      try {
        const created = await post('/api/v1/commands', body);
        navigate(`/run${query({ command: created.id })}`, { replace: false });
      } catch (e) {
        fail(errorText(e));
      } finally {
        runButton.disabled = false;
      }
    }

    function fail(text, field) {
      error.textContent = text;
      error.hidden = false;
      field?.focus();
    }

    async function follow(commandId) {
      render(output, notice('loading', 'Loading the command…'));
      let info;
      try {
        info = await get(`/api/v1/commands/${enc(commandId)}`);
      } catch (e) {
        render(output, notice('error', 'Could not load the command', h('p', {}, errorText(e))));
        return;
      }
      if (disposed) return;
      if (info.type === 'exec') command.value = shellText(info.argv, true);
      // Pre-fill the form with this command's targets, so running it again is one click.
      if (info.target?.selector) {
        selector.value = info.target.selector;
        modes.querySelector('input[value=selector]').checked = true;
        setMode('selector');
      } else {
        info.jobs.forEach((job) => preselected.add(job.agent_name));
        for (const box of agentList.querySelectorAll('input[name=agent]')) box.checked = preselected.has(box.value);
      }
      const jobs = new Map();
      const grid = h('div', { class: 'job-grid' });
      const summary = h('span', { class: 'run-summary' });
      const cancel = h('button', { class: 'btn danger', type: 'button', on: { click: async () => {
        cancel.disabled = true;
        try {
          await post(`/api/v1/commands/${enc(commandId)}/cancel`);
        } catch (e) {
          summary.textContent = errorText(e);
        }
      } } }, 'Cancel');
      render(output, h('div', { class: 'run-head' },
        h('div', {}, h('h2', {}, h('code', {}, info.type === 'exec' ? shellText(info.argv) : info.type)),
          h('p', { class: 'muted small' }, `Command ${info.id} · started `, timeEl(info.created_at))),
        summary, cancel), grid);
      if (!info.jobs.length) grid.append(notice('empty', 'No agent matched', h('p', {}, 'The selector matched no agent, so nothing ran.')));
      for (const job of info.jobs) jobCard(job);
      updateSummary();

      function jobCard(job) {
        const pre = h('pre', { class: 'job-output', tabindex: '0', 'aria-label': `Output of ${job.agent_name}` });
        const state = h('span', { class: 'job-state' });
        const exit = h('span', { class: 'job-exit mono' });
        const cardEl = h('article', { class: 'card job', dataset: { agent: job.agent_name, job: job.id } },
          h('header', { class: 'job-head' }, h('a', { href: `/agents/${enc(job.agent_name)}`, class: 'job-agent' }, job.agent_name), state, exit),
          pre);
        grid.append(cardEl);
        const entry = { job, pre, state, exit, card: cardEl, bytes: 0 };
        jobs.set(job.id, entry);
        setState(entry, job);
        return entry;
      }

      function setState(entry, job) {
        entry.job = { ...entry.job, ...job };
        entry.card.dataset.state = entry.job.state;
        render(entry.state, pill(entry.job.state));
        const code = entry.job.exit_code;
        entry.exit.textContent = code !== null && code !== undefined ? `exit ${code}` : '';
        entry.exit.dataset.exit = code ?? '';
        // The error repeats the exit code for a plain non-zero exit; show it when it says more.
        const error = entry.job.error && !/exited with (code|status)/.test(entry.job.error) ? entry.job.error : '';
        entry.exit.title = entry.job.error || '';
        if (error) entry.exit.textContent += `${entry.exit.textContent ? ' · ' : ''}${error}`;
      }

      function updateSummary() {
        const all = [...jobs.values()].map((entry) => entry.job);
        const done = all.filter((job) => FINAL.has(job.state)).length;
        const failed = all.filter((job) => FINAL.has(job.state) && job.state !== 'succeeded').length;
        summary.textContent = `${done} of ${all.length} done${failed ? `, ${failed} not succeeded` : ''}`;
        cancel.disabled = done === all.length;
        if (done === all.length) loadRecent();
      }

      stream?.close();
      const source = new EventSource(`/api/v1/commands/${enc(commandId)}/output?follow=true`);
      stream = source;
      // Left for another page, this one may be kept in the back/forward cache: free the connection (events.js).
      window.addEventListener('pagehide', () => source.close(), { once: true });
      source.addEventListener('output', (message) => {
        const data = JSON.parse(message.data);
        const entry = jobs.get(data.job_id) || jobCard({ id: data.job_id, agent_name: data.agent_name, state: 'running' });
        const span = h('span', { class: data.stream === 'stderr' ? 'stderr' : 'stdout' }, data.data);
        const atBottom = entry.pre.scrollTop + entry.pre.clientHeight >= entry.pre.scrollHeight - 4;
        entry.pre.append(span);
        if (atBottom) entry.pre.scrollTop = entry.pre.scrollHeight;
      });
      source.addEventListener('state', (message) => {
        const data = JSON.parse(message.data);
        const entry = jobs.get(data.job_id) || jobCard({ id: data.job_id, agent_name: data.agent_name, state: data.state });
        setState(entry, { state: data.state, exit_code: data.exit_code, error: data.error });
        updateSummary();
      });
      source.addEventListener('end', () => {
        source.close();
        for (const entry of jobs.values()) if (!entry.pre.childNodes.length) entry.pre.append(h('span', { class: 'muted' }, '(no output)'));
        updateSummary();
      });
      source.addEventListener('error', () => {
        if (source.readyState === EventSource.CLOSED || disposed) return;
        // The stream restarts from the beginning on reconnect: start over rather than show output twice.
        source.close();
        if (!disposed) setTimeout(() => !disposed && follow(commandId), 2000);
      });
    }

    loadAgents();
    loadRecent();
    if (params.command) follow(params.command);
    else render(output, notice('empty', 'Nothing running', h('p', {}, 'Choose agents, enter a command and press Run: each agent\'s output streams here live, with its state and exit code.')));
    queueMicrotask(() => !params.command && command.focus());
    return () => {
      disposed = true;
      stream?.close();
    };
  },
};

/** An argv as a shell-like line; sh -c LINE shows as LINE. */
function shellText(argv, raw = false) {
  if (argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c') return argv[2];
  return raw ? argv.join(' ') : argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(' ');
}
