-- Tether server schema, version 4: browser sessions of the web UI.
-- Every timestamp is Unix epoch milliseconds (BIGINT).
-- The twin in the other dialect's folder must stay in step.

-- One signed-in browser. The cookie carries a random session id; only its SHA-256 is stored,
-- so a copy of the database does not sign anyone in.
CREATE TABLE browser_sessions (
    -- Lowercase hex SHA-256 of the session id in the cookie.
    id_hash     TEXT    NOT NULL PRIMARY KEY,
    -- Who signed in ('admin' for the admin token).
    actor       TEXT    NOT NULL,
    -- SHA-256 of the admin token used to sign in: the session ends when that token is no longer accepted.
    token_hash  TEXT    NOT NULL,
    -- The anti-CSRF token the UI echoes in X-CSRF-Token on state-changing requests.
    csrf_token  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    -- The client's address and User-Agent at sign-in, for the audit trail.
    source      TEXT,
    user_agent  TEXT
);
CREATE INDEX browser_sessions_expires ON browser_sessions (expires_at);
