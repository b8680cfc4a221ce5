-- The jobs whose lease may have run out, looked at on every claim: without it each claim
-- read every unfinished job, so that a burst of jobs (one per person an @channel reaches)
-- took time growing with the square of its size.
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE done_at IS NULL AND failed_at IS NULL AND locked_until IS NOT NULL;
