-- Tether server schema, version 6: enrollment tokens, and agents waiting for approval.
-- Every timestamp is Unix epoch milliseconds (BIGINT); JSON documents are TEXT. Same in both dialects.

-- A token a fleet joins with: each use enrols one agent, which gets a key of its own.
CREATE TABLE enrollment_tokens (
    -- 'etk_' + 26 lowercase base32 characters.
    id               TEXT    NOT NULL PRIMARY KEY,
    -- Hex SHA-256 of the token; the token itself is shown once and never stored.
    token_hash       TEXT    NOT NULL UNIQUE,
    description      TEXT,
    -- Labels every agent enrolled with it gets (JSON object); agents cannot change them.
    labels           TEXT    NOT NULL DEFAULT '{}',
    -- Agents it may enrol; 0 means no limit.
    max_uses         BIGINT  NOT NULL,
    uses             BIGINT  NOT NULL DEFAULT 0,
    -- 1: agents enrolled with it wait as 'pending' until an operator approves them.
    require_approval INTEGER NOT NULL DEFAULT 0,
    created_by       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    revoked_at       BIGINT
);

-- NULL: approved (or created directly); 'pending': enrolled, waiting for an operator; 'rejected'.
ALTER TABLE agents ADD COLUMN approval TEXT;
-- The enrollment token the agent joined with, if any.
ALTER TABLE agents ADD COLUMN enrolled_with TEXT;
