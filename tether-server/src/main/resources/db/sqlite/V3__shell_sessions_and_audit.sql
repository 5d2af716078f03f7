-- Tether server schema, version 3: remote shell sessions and the audit log.
-- Every timestamp is Unix epoch milliseconds (BIGINT); JSON documents are TEXT.
-- The twin in the other dialect's folder must stay in step.

-- One remote shell session: who opened it on which agent, how it went, where its recording is.
CREATE TABLE shell_sessions (
    -- 32 lowercase hex characters: the 16-byte session id of the wire protocol.
    id          TEXT    NOT NULL PRIMARY KEY,
    agent_id    TEXT    NOT NULL REFERENCES agents (id),
    -- Who opened it ('admin' for the admin token) and from which address.
    actor       TEXT    NOT NULL,
    source      TEXT,
    -- JSON array of the program and its arguments; [] for the agent's shell.
    command     TEXT    NOT NULL,
    term        TEXT    NOT NULL,
    rows        INTEGER NOT NULL,
    cols        INTEGER NOT NULL,
    started_at  BIGINT  NOT NULL,
    -- NULL while the session lives.
    ended_at    BIGINT,
    -- Bytes typed by clients, and output bytes sent to them.
    bytes_in    BIGINT  NOT NULL DEFAULT 0,
    bytes_out   BIGINT  NOT NULL DEFAULT 0,
    exit_code   INTEGER,
    -- Signal name when the process was killed by one.
    signal      TEXT,
    -- Why it ended: exited, closed, idle, agent_lost, server_stopped...
    end_reason  TEXT,
    -- File name of the asciicast v2 recording under DATA_DIR/recordings; NULL once deleted by retention.
    recording   TEXT
);
CREATE INDEX shell_sessions_started ON shell_sessions (started_at, id);
CREATE INDEX shell_sessions_agent ON shell_sessions (agent_id, started_at);

-- Administrative actions: who did what to which target, when, from where.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    -- Dotted action name, e.g. 'shell.session', 'agent.create', 'agent.revoke'.
    action      TEXT    NOT NULL,
    -- What it acted on: an agent id, a command id, ...; NULL when nothing in particular.
    target      TEXT,
    source      TEXT,
    -- JSON object with the action's particulars (never a secret).
    details     TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
