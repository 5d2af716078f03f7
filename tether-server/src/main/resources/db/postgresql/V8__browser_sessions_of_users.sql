-- Tether server schema, version 8: web UI sessions of users (not only of the admin token).
-- The twin in the other dialect's folder must stay in step.

-- The personal API token (api_tokens.id) a user's browser session rides on; NULL for a session signed in
-- with the admin token. Such a cookie carries that token itself, so revoking the token, disabling the user
-- or the token's expiry ends the session too.
ALTER TABLE browser_sessions ADD COLUMN user_token_id TEXT;
