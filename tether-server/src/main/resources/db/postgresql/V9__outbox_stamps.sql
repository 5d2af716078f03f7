-- Tether server schema, version 9: stamps of reliable payloads, so a handshake can tell whether the history
-- one side holds is the one the other side applied (docs/protocol.md, "Diverged history").
-- The twin in the other dialect's folder must stay in step.

-- The random non-zero stamp of each server -> agent payload (also in its envelope); 0: stored before version 9.
ALTER TABLE outbox ADD COLUMN stamp BIGINT NOT NULL DEFAULT 0;
-- The highest server -> agent seq the agent acknowledged, and that payload's stamp (0: unknown).
ALTER TABLE agents ADD COLUMN out_acked_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN out_acked_stamp BIGINT NOT NULL DEFAULT 0;
-- The stamp of the agent payload at applied_agent_seq, written with it (0: unknown).
ALTER TABLE agents ADD COLUMN applied_agent_stamp BIGINT NOT NULL DEFAULT 0;

-- Before version 9 a hostile Hello could move an agent's counter to 2^63 - 1, after which every command that
-- targeted that agent (a label fan-out to others included) failed on the overflow. Counters that high were
-- never assigned: put them back at the highest seq still queued for that agent (0 when none).
UPDATE agents SET out_seq = COALESCE((SELECT MAX(o.seq) FROM outbox o WHERE o.agent_id = agents.id), 0)
    WHERE out_seq >= 4611686018427387904;
