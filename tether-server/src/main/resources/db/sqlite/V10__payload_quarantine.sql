-- Tether server schema, version 10: reliable agent payloads that failed to apply, and those quarantined.
-- Every timestamp is Unix epoch milliseconds (BIGINT).
-- The twin in the other dialect's folder must stay in step.

-- One row per (agent, seq) whose apply failed because of the payload itself (a data or constraint error,
-- never a connection failure or timeout). attempts counts those failures across connections and restarts;
-- at the limit the payload is quarantined: quarantined_at is set and the agent's applied seq moves past it
-- in the same transaction, so its stream goes on. A row with quarantined_at NULL counts the failures of a
-- payload still being retried, or one that applied later (kept as a record of its failures).
CREATE TABLE agent_payload_failures (
    agent_id        TEXT    NOT NULL,
    seq             BIGINT  NOT NULL,
    -- The payload's type: the oneof case of the envelope in lower case, e.g. 'job_event'.
    payload_type    TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    -- The last failure's message.
    error           TEXT    NOT NULL,
    -- The whole envelope as the agent sent it (protobuf), for an operator to inspect.
    payload         BLOB    NOT NULL,
    first_failed_at BIGINT  NOT NULL,
    last_failed_at  BIGINT  NOT NULL,
    quarantined_at  BIGINT,
    PRIMARY KEY (agent_id, seq)
);
