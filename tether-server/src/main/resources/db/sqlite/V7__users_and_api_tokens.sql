-- Tether server schema, version 7: operators (users with roles) and their personal API tokens.
-- Every timestamp is Unix epoch milliseconds (BIGINT). Same in both dialects.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    -- viewer | operator | admin
    role          TEXT    NOT NULL,
    -- A label selector the agents an operator may act on must match; NULL: every agent.
    scope         TEXT,
    -- Argon2id in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT
);

-- Tokens the CLI and scripts use: one user's, with an expiry. Only the SHA-256 is kept.
CREATE TABLE api_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
