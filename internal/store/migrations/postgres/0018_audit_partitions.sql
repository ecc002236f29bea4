-- The audit log becomes a table partitioned by month on its event time
-- (at, microseconds since 1970 UTC), so that years of rows stay cheap to
-- insert and query, and a whole old month can be archived and dropped at
-- once (see audit_partitions.go and audit_archive.go).
--
-- The existing table is not copied: it becomes the default partition as it
-- is. Its identity becomes a sequence the new parent draws from, the
-- primary key gains the partition key (PostgreSQL requires it), and so does
-- the unique index of spooled rows. The months have no index on the time
-- alone: a query by time reads only the months it names (partition
-- pruning), and the index cost every insert about a tenth of its database
-- time. The default partition keeps its own, to find the months it holds.
-- The server then moves each month it
-- finds in the default partition into a partition of its own, one
-- transaction per month, and creates the current and next months' ahead
-- of time.
CREATE SEQUENCE audit_log_seq AS BIGINT;
SELECT setval('audit_log_seq', COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
DROP INDEX audit_log_spool_id;
ALTER TABLE audit_log RENAME TO audit_log_default;
ALTER INDEX audit_log_at RENAME TO audit_log_default_at;
ALTER INDEX audit_log_patient RENAME TO audit_log_default_patient;
CREATE TABLE audit_log (
    seq        BIGINT NOT NULL DEFAULT nextval('audit_log_seq'),
    at         BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    actor      TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    role       TEXT NOT NULL,
    patient    TEXT NOT NULL,
    action     TEXT NOT NULL,
    type       TEXT NOT NULL,
    res_id     TEXT NOT NULL,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    status     BIGINT NOT NULL,
    detail     TEXT NOT NULL,
    spool_id   TEXT,
    PRIMARY KEY (seq, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_seq OWNED BY audit_log.seq;
CREATE INDEX audit_log_patient ON audit_log (patient, at);
CREATE UNIQUE INDEX audit_log_spool_id ON audit_log (spool_id, at) WHERE spool_id IS NOT NULL;
ALTER TABLE audit_log ATTACH PARTITION audit_log_default DEFAULT;

-- The months archived to files and removed from the log (one row per file).
CREATE TABLE audit_archives (
    file        TEXT PRIMARY KEY,
    month       TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    first_seq   BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    archived_at BIGINT NOT NULL
);

-- The lease that lets one node at a time archive (the retention job or
-- emp audit archive).
CREATE TABLE audit_archive_lease (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  BIGINT NOT NULL
);
