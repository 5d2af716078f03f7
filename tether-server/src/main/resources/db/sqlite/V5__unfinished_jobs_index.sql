-- Tether server schema, version 5: find agents' unfinished jobs without scanning the job history
-- (the cap on pending commands per agent counts them on every new command). Same in both dialects.
CREATE INDEX jobs_unfinished ON jobs (agent_id) WHERE state IN ('queued', 'delivered', 'running');
