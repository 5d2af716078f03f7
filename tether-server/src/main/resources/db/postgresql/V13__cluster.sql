-- Cluster mode: the server nodes sharing this database, and which node holds each agent's connection.
-- A single node is a cluster of one: it has its row here too.
CREATE TABLE nodes (
    name          TEXT    NOT NULL PRIMARY KEY,
    -- A random id per process start: two processes given the same --node-name are told apart.
    incarnation   TEXT    NOT NULL,
    -- The URL other nodes reach this one at (node-to-node relay); shown to operators.
    advertise_url TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    -- Epoch millis by the database's clock: leases are compared on one clock, not each node's.
    started_at    BIGINT  NOT NULL,
    renewed_at    BIGINT  NOT NULL,
    lease_ms      BIGINT  NOT NULL,
    agents        INTEGER NOT NULL DEFAULT 0,
    -- 1 while the node hands its agents off before it stops.
    draining      INTEGER NOT NULL DEFAULT 0,
    -- 1 once another node found the lease expired and took the node's agents offline.
    expired       INTEGER NOT NULL DEFAULT 0
);

-- The node holding the agent's live connection (NULL: offline), and the epoch of that connection: every
-- handshake bumps it, and every apply and ack checks it in its own transaction (fencing).
ALTER TABLE agents ADD COLUMN holder_node TEXT;
ALTER TABLE agents ADD COLUMN connection_epoch BIGINT NOT NULL DEFAULT 0;
CREATE INDEX agents_holder_node ON agents (holder_node);
