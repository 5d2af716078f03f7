-- Tether server schema, version 1, SQLite dialect.
-- Every timestamp is Unix epoch milliseconds (BIGINT); JSON documents are TEXT.
-- The PostgreSQL twin is db/postgresql/V1__initial_schema.sql: keep them in step.

-- One row per enrolled agent: identity, what it reported in its last Hello,
-- its status, its configuration, and both ends of its reliable stream.
CREATE TABLE agents (
    id                     TEXT    NOT NULL PRIMARY KEY,
    name                   TEXT    NOT NULL UNIQUE,
    labels                 TEXT    NOT NULL DEFAULT '{}',
    -- Hex SHA-256 of the agent key; the key itself is never stored.
    key_hash               TEXT    NOT NULL UNIQUE,
    created_at             BIGINT  NOT NULL,
    revoked_at             BIGINT,
    last_seen              BIGINT,
    connected_at           BIGINT,
    hostname               TEXT,
    os                     TEXT,
    arch                   TEXT,
    agent_version          TEXT,
    boot_id                TEXT,
    reported_labels        TEXT,
    capabilities           TEXT,
    status_state           TEXT,
    status_message         TEXT,
    status_details         TEXT,
    status_at              BIGINT,
    config_version         BIGINT  NOT NULL DEFAULT 0,
    config_json            TEXT,
    config_updated_at      BIGINT,
    config_applied_version BIGINT  NOT NULL DEFAULT 0,
    config_error_version   BIGINT,
    config_error           TEXT,
    -- Highest server -> agent seq assigned (the outbox's counter).
    out_seq                BIGINT  NOT NULL DEFAULT 0,
    -- Highest agent -> server seq applied; written in the transaction of its effect.
    applied_agent_seq      BIGINT  NOT NULL DEFAULT 0
);

-- Reliable server -> agent payloads not yet acknowledged by the agent.
-- envelope: a serialized tether.v1.Envelope with seq set and ack/ts_ms unset.
CREATE TABLE outbox (
    agent_id   TEXT   NOT NULL REFERENCES agents (id),
    seq        BIGINT NOT NULL,
    envelope   BLOB   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, seq)
);

-- Events published by agents (AgentEvent, and agent.status for StatusReport).
CREATE TABLE agent_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id    TEXT    NOT NULL REFERENCES agents (id),
    -- The reliable seq that carried the event: one event per seq at most.
    agent_seq   BIGINT  NOT NULL,
    type        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    occurred_at BIGINT  NOT NULL,
    received_at BIGINT  NOT NULL
);
CREATE UNIQUE INDEX agent_events_agent_seq ON agent_events (agent_id, agent_seq);
CREATE INDEX agent_events_agent_id ON agent_events (agent_id, id);
CREATE INDEX agent_events_agent_type_id ON agent_events (agent_id, type, id);

-- Hex SHA-256 of the admin tokens accepted by the REST API.
-- source: 'generated' (made on first start), 'env' (TETHER_ADMIN_TOKEN) or 'dev' (dev mode).
CREATE TABLE admin_tokens (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    source     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
