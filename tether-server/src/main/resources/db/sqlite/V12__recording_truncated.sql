-- A recording cut at --recording-max-bytes: the session went on unrecorded past it (1), or not (0).
ALTER TABLE shell_sessions ADD COLUMN recording_truncated INTEGER NOT NULL DEFAULT 0;
