-- Tether server schema, version 14: each agent's server -> agent seq counter in a narrow table of its own.
-- The twin in the other dialect's folder must stay in step.

-- A command to 10,000 agents takes a seq from each of them in one transaction. In the agents row (labels,
-- capabilities, status, configuration) that rewrote 10,000 wide rows; here it rewrites rows of two columns,
-- a tenth of the pages. Every agent has its row, created with the agent (0: nothing assigned yet).
CREATE TABLE outbox_counters (
    agent_id TEXT   NOT NULL PRIMARY KEY REFERENCES agents (id),
    -- Highest server -> agent seq assigned (the outbox's counter).
    out_seq  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO outbox_counters (agent_id, out_seq) SELECT id, out_seq FROM agents;
ALTER TABLE agents DROP COLUMN out_seq;
