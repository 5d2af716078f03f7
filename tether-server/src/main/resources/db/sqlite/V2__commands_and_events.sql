-- Tether server schema, version 2, SQLite dialect: commands and jobs, job output, and the server event stream.
-- Every timestamp is Unix epoch milliseconds (BIGINT); JSON documents are TEXT.
-- The PostgreSQL twin is db/postgresql/V2__commands_and_events.sql: keep them in step.

-- A command: what an operator asked a set of agents to do. One job per targeted agent.
CREATE TABLE commands (
    -- 'cmd_' + 26 lowercase base32 characters (130 random bits).
    id              TEXT    NOT NULL PRIMARY KEY,
    -- 'exec', 'health_check', 'config', 'self_update' or a custom type.
    type            TEXT    NOT NULL,
    -- exec: {"argv": [...], "env": {...}, "cwd": "..."}; other types: {"params": <JSON>}.
    spec            TEXT    NOT NULL,
    -- What the operator targeted: {"agents": ["id or name", ...]} or {"selector": "env=prod,role=db"}.
    target          TEXT    NOT NULL,
    -- Execution timeout once a job started; 0: none.
    timeout_s       BIGINT  NOT NULL DEFAULT 0,
    -- A job must start before created_at + deadline_s; 0: no deadline.
    deadline_s      BIGINT  NOT NULL DEFAULT 0,
    -- Jobs sent and not final at once; 0: unlimited.
    max_concurrency BIGINT  NOT NULL DEFAULT 0,
    -- Failures tolerated before held-back jobs are cancelled; -1: unlimited.
    max_errors      BIGINT  NOT NULL DEFAULT -1,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    -- running | completed | cancelled
    state           TEXT    NOT NULL,
    -- When the last job became final; NULL while any job is not.
    finished_at     BIGINT
);
CREATE INDEX commands_created ON commands (created_at, id);
CREATE INDEX commands_unfinished ON commands (created_at) WHERE finished_at IS NULL;

-- One agent's part of a command.
CREATE TABLE jobs (
    -- 'job_' + 26 lowercase base32 characters.
    id                  TEXT    NOT NULL PRIMARY KEY,
    command_id          TEXT    NOT NULL REFERENCES commands (id),
    agent_id            TEXT    NOT NULL REFERENCES agents (id),
    -- Order within the command: held-back jobs are released in this order.
    position            INTEGER NOT NULL,
    -- queued | delivered | running | succeeded | failed | cancelled | timed_out | expired | lost
    state               TEXT    NOT NULL,
    -- Seq of the job's CommandRequest in the agent's server -> agent stream; NULL while held back
    -- by max_concurrency (no outbox row yet).
    outbox_seq          BIGINT,
    -- 1 when the server ended the job (expired, or cancelled before the agent acknowledged it) although
    -- the agent may hold its CommandRequest: a later started or finished report from the agent wins.
    unconfirmed         INTEGER NOT NULL DEFAULT 0,
    -- When a CancelJob was sent for a delivered or running job; the agent reports the outcome.
    cancel_requested_at BIGINT,
    exit_code           INTEGER,
    error               TEXT,
    -- result_json of JobFinished (non-exec types).
    result              TEXT,
    -- job_output rows so far (the next idx) and their total size in bytes.
    output_chunks       BIGINT  NOT NULL DEFAULT 0,
    output_bytes        BIGINT  NOT NULL DEFAULT 0,
    -- created_at + deadline_s of the command; NULL: no deadline.
    deadline_at         BIGINT,
    created_at          BIGINT  NOT NULL,
    delivered_at        BIGINT,
    started_at          BIGINT,
    finished_at         BIGINT
);
CREATE INDEX jobs_command ON jobs (command_id, position);
CREATE INDEX jobs_agent ON jobs (agent_id, created_at);
-- Jobs whose CommandRequest is in an outbox and not yet acknowledged: what an ack turns into delivered.
CREATE INDEX jobs_unacknowledged ON jobs (agent_id, outbox_seq) WHERE state = 'queued' AND outbox_seq IS NOT NULL;
-- What the expiry sweep looks at.
CREATE INDEX jobs_queued_deadline ON jobs (deadline_at) WHERE state = 'queued' AND deadline_at IS NOT NULL;
CREATE INDEX jobs_running ON jobs (state) WHERE state = 'running';

-- Output of jobs, in chunks as the agent sent them (at most 32 KiB each).
CREATE TABLE job_output (
    job_id      TEXT    NOT NULL REFERENCES jobs (id),
    -- 0, 1, 2, ... per job, in arrival order.
    idx         BIGINT  NOT NULL,
    -- stdout | stderr
    stream      TEXT    NOT NULL,
    -- Bytes of the job's output (both streams) before this chunk.
    byte_offset BIGINT  NOT NULL,
    -- Raw bytes; the API renders them as UTF-8 text.
    data        BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (job_id, idx)
);

-- The server's event stream (GET /api/v1/events). id is the SSE event id: AUTOINCREMENT, so ids are never
-- reused after pruning. Kept for 24 hours and at most 100,000 rows (pruned periodically).
-- SQLite serialises writers, so ids become visible in increasing order.
CREATE TABLE server_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- agent.online | agent.offline | agent.event | job.state | command.state
    type       TEXT    NOT NULL,
    -- The agent the event is about, for the ?agent= filter; NULL for command events.
    agent_id   TEXT,
    -- The SSE data: one JSON object.
    payload    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX server_events_created ON server_events (created_at);
