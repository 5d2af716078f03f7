-- Tether server schema, version 15: the index of jobs sent and not yet acknowledged goes.
-- The twin in the other dialect's folder must stay in step.

-- Its key began with the agent, so a command to 10,000 agents wrote an entry on a page of its own for almost
-- every job, and each job's first report wrote that page again to remove it. What it found (an agent's
-- queued jobs whose request an ack covers) jobs_unfinished finds too: an agent has at most 1,000
-- unfinished jobs, most of the time a handful.
DROP INDEX jobs_unacknowledged;
