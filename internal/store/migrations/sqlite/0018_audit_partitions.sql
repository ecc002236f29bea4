-- SQLite has no partitions; the audit log keeps its table. The unique index
-- of spooled rows names the event time too, as on PostgreSQL (where the
-- partition key must be part of it), so one statement replays the spool on
-- both.
DROP INDEX audit_log_spool_id;
CREATE UNIQUE INDEX audit_log_spool_id ON audit_log (spool_id, at) WHERE spool_id IS NOT NULL;

-- The months archived to files and removed from the log (one row per file).
CREATE TABLE audit_archives (
    file        TEXT PRIMARY KEY,
    month       TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    first_seq   INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL,
    archived_at INTEGER NOT NULL
);

-- The lease that lets one process at a time archive (the retention job or
-- emp audit archive).
CREATE TABLE audit_archive_lease (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
);
