-- Work that leaves the process (mail now; webhook deliveries and notifications later):
-- written in the transaction that causes it, claimed by a worker under a lease, retried
-- with back-off, kept as failed after the last attempt. IDENTITY: a job's id is its
-- delivery id and is never reused.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    claimed_by TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    failed_at TIMESTAMP
);
-- What the workers claim: unfinished jobs in the order they fall due.
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE done_at IS NULL AND failed_at IS NULL;
-- What the pruner deletes.
CREATE INDEX jobs_done_at ON jobs (done_at) WHERE done_at IS NOT NULL;
