-- Bulk export files kept in the database (the default on PostgreSQL; a
-- SQLite server keeps them in its directory unless told otherwise). A file
-- is written as an upload: its chunks (about 1 MiB each, in order) are
-- inserted as the export streams, and nothing is readable until the commit
-- points bulk_file_blobs at the upload. A file replaced under the same key,
-- aborted, or deleted takes its chunks with it. Keys are "<job>/<file>"; a
-- key range is a prefix (BINARY collation), so a job's files go with one
-- range delete.
CREATE TABLE bulk_file_blobs (
    file_key    TEXT    PRIMARY KEY,
    upload      TEXT    NOT NULL, -- whose chunks the file is
    bytes       INTEGER NOT NULL,
    chunk_bytes INTEGER NOT NULL  -- every chunk but the last holds this many
);
CREATE TABLE bulk_file_chunks (
    upload   TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    file_key TEXT    NOT NULL,
    data     BLOB    NOT NULL,
    PRIMARY KEY (upload, seq)
);
CREATE INDEX bulk_file_chunks_key ON bulk_file_chunks (file_key);
