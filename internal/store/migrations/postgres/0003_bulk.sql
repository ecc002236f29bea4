-- Bulk Data export jobs. A job is durable: any node's worker may claim it
-- with a lease, and a worker that dies leaves a lease that runs out, after
-- which another node takes the job over from its checkpoint. Times are
-- Unix microseconds UTC; 0 means unset.
CREATE TABLE bulk_jobs (
    id               TEXT    PRIMARY KEY,
    client_id        TEXT    NOT NULL,
    owner            TEXT    NOT NULL, -- the token subject that started it
    request_url      TEXT    NOT NULL,
    params           TEXT    NOT NULL, -- the resolved request, JSON
    status           TEXT    NOT NULL, -- queued, running, done, failed, cancelled
    transaction_time BIGINT  NOT NULL,
    progress         TEXT    NOT NULL DEFAULT '',
    checkpoint       TEXT    NOT NULL DEFAULT '', -- where a new worker resumes, JSON
    lease_owner      TEXT    NOT NULL DEFAULT '',
    lease_expiry     BIGINT  NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT '',
    created          BIGINT  NOT NULL,
    updated          BIGINT  NOT NULL,
    completed        BIGINT  NOT NULL DEFAULT 0,
    expires          BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX bulk_jobs_claim ON bulk_jobs (status, lease_expiry, created);
CREATE INDEX bulk_jobs_client ON bulk_jobs (client_id, status);

-- The finished files of a job, one row per file. A row is written in the
-- same transaction as the checkpoint past the file's last resource, so a
-- resumed job neither repeats nor skips a resource.
CREATE TABLE bulk_files (
    job_id   TEXT    NOT NULL,
    kind     TEXT    NOT NULL, -- output, deleted or error
    type     TEXT    NOT NULL,
    seq      BIGINT  NOT NULL,
    file_key TEXT    NOT NULL,
    count    BIGINT  NOT NULL,
    bytes    BIGINT  NOT NULL,
    PRIMARY KEY (job_id, kind, type, seq)
);
