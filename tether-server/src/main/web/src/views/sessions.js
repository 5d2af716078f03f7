// Recorded shell sessions: a list, and a player (play, pause, seek, speed) for one recording.

import 'asciinema-player/dist/bundle/asciinema-player.css';
import { allAgents, enc, get } from '../api.js';
import { between, bytes, errorText, h, notice, pill, render, when } from '../dom.js';
import { endReason, sessionTable } from './agent.js';

const SPEEDS = [0.5, 1, 2, 4, 8];
let AsciinemaPlayer = null;

/** One agent's name, or its id when it is gone (deleted) or cannot be read. */
async function nameOf(agentId) {
  try {
    return (await get(`/api/v1/agents/${enc(agentId)}`)).name;
  } catch {
    return agentId;
  }
}

/** Every agent's name by id, for a list of sessions on any agent (follows every page of agents). */
async function agentNames() {
  try {
    const agents = await allAgents();
    return new Map(agents.map((agent) => [agent.id, agent.name]));
  } catch {
    return new Map();
  }
}

export const sessionsView = {
  title: 'Sessions',
  mount(el, { query }) {
    let disposed = false;
    let next = null;
    let rows = [];
    let names = new Map();
    const agentFilter = h('select', { class: 'input', 'aria-label': 'Filter by agent', on: { change: () => reload() } },
      h('option', { value: '' }, 'All agents'));
    const list = h('div', { class: 'table-wrap' }, notice('loading', 'Loading sessions…'));
    const more = h('button', { class: 'btn', type: 'button', hidden: true, on: { click: () => load(true) } }, 'Load more');
    render(el, h('section', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', {}, 'Shell sessions'),
        h('p', { class: 'muted' }, 'Every terminal session is audited and recorded in asciicast v2; play one back to see exactly what happened.')),
      h('div', { class: 'toolbar' }, agentFilter), list, h('div', { class: 'more' }, more)));

    async function reload() {
      rows = [];
      next = null;
      await load(false);
    }

    async function load(append) {
      try {
        const page = await get(`/api/v1/sessions?limit=50${agentFilter.value ? `&agent=${enc(agentFilter.value)}` : ''}${append && next ? `&before=${enc(next)}` : ''}`);
        if (disposed) return;
        rows = append ? rows.concat(page.sessions) : page.sessions;
        next = page.sessions.length < 50 ? null : page.next_before;
        more.hidden = !next;
        render(list, rows.length ? sessionTable(rows, { showAgent: true, agents: names })
          : notice('empty', 'No shell sessions yet', h('p', {}, 'Open a terminal from an agent\'s page; its session is recorded and listed here.')));
      } catch (e) {
        if (!disposed) render(list, notice('error', 'Could not load the sessions', h('p', {}, errorText(e))));
      }
    }

    agentNames().then((map) => {
      if (disposed) return;
      names = map;
      for (const [id, name] of [...map].sort((a, b) => a[1].localeCompare(b[1]))) agentFilter.append(h('option', { value: id }, name));
      if (query.agent) agentFilter.value = query.agent;
      reload();
    });
    return () => {
      disposed = true;
    };
  },
};

export const sessionView = {
  title: 'Session',
  mount(el, { params }) {
    let disposed = false;
    let player = null;
    let speed = 1;
    let timer = null;
    const stage = h('div', { class: 'player-stage' });
    const playButton = h('button', { class: 'btn primary', type: 'button', 'aria-label': 'Play', dataset: { action: 'play' }, on: { click: toggle } }, 'Play');
    const seek = h('input', { type: 'range', class: 'seek', min: '0', max: '0', step: '0.1', value: '0', 'aria-label': 'Position in the recording',
      on: { input: () => player?.seek(Number(seek.value)) } });
    const clock = h('span', { class: 'clock mono', 'aria-live': 'off' }, '0:00 / 0:00');
    const speedSelect = h('select', { class: 'input', 'aria-label': 'Playback speed', on: { change: () => setSpeed(Number(speedSelect.value)) } },
      SPEEDS.map((value) => h('option', { value, selected: value === 1 }, `${value}×`)));
    const meta = h('dl', { class: 'facts' });
    const title = h('h1', {}, `Session ${params.id.slice(0, 8)}`);
    render(el, h('section', { class: 'page' },
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/sessions' }, 'Sessions'), h('span', { 'aria-hidden': 'true' }, ' / '), h('span', {}, params.id.slice(0, 8))),
      h('div', { class: 'page-head' }, title),
      h('div', { class: 'player-layout' },
        h('div', { class: 'player-card card' }, stage,
          h('div', { class: 'player-controls', role: 'group', 'aria-label': 'Playback' }, playButton, seek, clock,
            h('label', { class: 'speed' }, h('span', {}, 'Speed'), speedSelect))),
        h('section', { class: 'card', 'aria-labelledby': 'session-facts' }, h('h2', { id: 'session-facts' }, 'Session'), meta))));

    async function load() {
      let session;
      try {
        session = await get(`/api/v1/sessions/${enc(params.id)}`);
      } catch (e) {
        render(stage, notice('error', e.status === 404 ? 'No such session' : 'Could not load the session', h('p', {}, errorText(e))));
        return;
      }
      if (disposed) return;
      const agentName = await nameOf(session.agent_id);
      title.textContent = `Session on ${agentName}`;
      render(meta,
        [['Agent', h('a', { href: `/agents/${enc(agentName)}` }, agentName)], ['Opened by', `${session.actor}${session.source ? ` from ${session.source}` : ''}`],
          ['Started', when(session.started_at)], ['Ended', session.ended_at ? when(session.ended_at) : 'still running'],
          ['Duration', between(session.started_at, session.ended_at)], ['Exit', session.exit_code ?? session.signal ?? '—'],
          ['State', pill(session.state === 'running' ? 'running' : session.exit_code === 0 ? 'succeeded' : 'ended', session.state)],
          ['Ended by', endReason(session.end_reason)], ['Size', `${session.cols}×${session.rows}, ${session.term}`],
          ['Traffic', `${bytes(session.bytes_in)} in, ${bytes(session.bytes_out)} out`]]
          .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
      if (!session.recording) {
        render(stage, notice('empty', 'No recording', h('p', {}, 'This session\'s recording was deleted by the retention period, or never written.')));
        [playButton, seek, speedSelect].forEach((control) => { control.disabled = true; });
        return;
      }
      try {
        // Loaded on first use: the player and its WebAssembly terminal are most of the bundle.
        AsciinemaPlayer = await import('asciinema-player');
      } catch (e) {
        render(stage, notice('error', 'Could not load the player', h('p', {}, errorText(e))));
        return;
      }
      if (disposed) return;
      create(0, false);
      timer = setInterval(update, 250);
    }

    function create(startAt, autoPlay) {
      player?.dispose();
      stage.replaceChildren();
      player = AsciinemaPlayer.create({ url: `/api/v1/sessions/${enc(params.id)}/recording`, fetchOpts: { credentials: 'same-origin' } }, stage, {
        fit: 'width', speed, startAt, autoPlay, preload: true, idleTimeLimit: 2, theme: 'tether', controls: false,
        terminalFontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      });
      player.addEventListener('play', () => setPlaying(true));
      player.addEventListener('playing', () => setPlaying(true));
      player.addEventListener('pause', () => setPlaying(false));
      player.addEventListener('ended', () => setPlaying(false));
    }

    function setPlaying(playing) {
      playButton.textContent = playing ? 'Pause' : 'Play';
      playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
      playButton.dataset.playing = String(playing);
    }

    function toggle() {
      if (!player) return;
      if (playButton.dataset.playing === 'true') player.pause();
      else player.play();
    }

    function setSpeed(value) {
      const at = player?.getCurrentTime() || 0;
      const playing = playButton.dataset.playing === 'true';
      speed = value;
      // The player takes its speed at creation: recreate it where it was.
      create(at, playing);
      if (!playing) player.seek(at);
    }

    function update() {
      if (!player) return;
      const total = player.getDuration() || 0;
      const now = player.getCurrentTime() || 0;
      seek.max = String(total);
      if (document.activeElement !== seek) seek.value = String(now);
      clock.textContent = `${clockText(now)} / ${clockText(total)}`;
    }

    load();
    return () => {
      disposed = true;
      clearInterval(timer);
      player?.dispose();
    };
  },
};

function clockText(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

