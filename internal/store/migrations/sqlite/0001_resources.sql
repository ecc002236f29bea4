-- Resources: the current version of every resource, its bytes as served.
CREATE TABLE resources (
    rid     INTEGER PRIMARY KEY,
    type    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    updated INTEGER NOT NULL, -- Unix microseconds UTC, equal to meta.lastUpdated
    deleted INTEGER NOT NULL DEFAULT 0,
    body    BLOB    NOT NULL
);
CREATE UNIQUE INDEX resources_type_id ON resources (type, id);
CREATE INDEX resources_type_rid ON resources (type, rid);
CREATE INDEX resources_type_updated ON resources (type, updated, rid);

-- Every version, the current one included, for vread and history.
CREATE TABLE resource_versions (
    rid     INTEGER NOT NULL,
    version INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    method  TEXT    NOT NULL, -- POST, PUT or DELETE, for history bundles
    body    BLOB    NOT NULL,
    -- A rowid table: bodies are around a kilobyte, and a WITHOUT ROWID
    -- table would push each onto an overflow page of its own.
    PRIMARY KEY (rid, version)
);
CREATE INDEX resource_versions_updated ON resource_versions (updated);

-- Search parameters get small integer ids so index rows stay compact.
-- Index tables are keyed by the resource row first, so that replacing a
-- resource's rows is a range delete, and have one lookup index each. In a
-- WITHOUT ROWID table the lookup index carries the key, so rid is in it.

CREATE TABLE search_params (
    pid  INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    code TEXT NOT NULL,
    UNIQUE (type, code)
);

CREATE TABLE idx_string (rid INTEGER NOT NULL, pid INTEGER NOT NULL, norm TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (rid, pid, norm, value)) WITHOUT ROWID;
CREATE INDEX idx_string_lookup ON idx_string (pid, norm);

CREATE TABLE idx_token (rid INTEGER NOT NULL, pid INTEGER NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (rid, pid, code, system, text)) WITHOUT ROWID;
CREATE INDEX idx_token_lookup ON idx_token (pid, code, system);

CREATE TABLE idx_reference (rid INTEGER NOT NULL, pid INTEGER NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (rid, pid, target_id, target_type, url)) WITHOUT ROWID;
CREATE INDEX idx_reference_lookup ON idx_reference (pid, target_id, target_type);
CREATE INDEX idx_reference_url ON idx_reference (pid, url) WHERE url <> '';

CREATE TABLE idx_date (rid INTEGER NOT NULL, pid INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, PRIMARY KEY (rid, pid, lo, hi)) WITHOUT ROWID;
CREATE INDEX idx_date_lo ON idx_date (pid, lo);
CREATE INDEX idx_date_hi ON idx_date (pid, hi);

CREATE TABLE idx_number (rid INTEGER NOT NULL, pid INTEGER NOT NULL, value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL, PRIMARY KEY (rid, pid, value, lo, hi)) WITHOUT ROWID;
CREATE INDEX idx_number_lookup ON idx_number (pid, value);

CREATE TABLE idx_quantity (rid INTEGER NOT NULL, pid INTEGER NOT NULL, value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (rid, pid, value, system, code, unit, lo, hi)) WITHOUT ROWID;
CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, value);

CREATE TABLE idx_uri (rid INTEGER NOT NULL, pid INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (rid, pid, value)) WITHOUT ROWID;
CREATE INDEX idx_uri_lookup ON idx_uri (pid, value);

-- The patient compartment: which patients each resource belongs to.
CREATE TABLE compartment (patient TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (patient, rid)) WITHOUT ROWID;
CREATE INDEX compartment_rid ON compartment (rid);

-- The server's own signing keys (access and id tokens), shared by all nodes.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_pem BLOB NOT NULL,
    created     INTEGER NOT NULL,
    not_after   INTEGER NOT NULL
);

-- Audit of every access to patient data and every change.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
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
    status     INTEGER NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_patient ON audit_log (patient, at);

-- Secondary indexes set aside during a bulk load into an empty database,
-- with the statements that rebuild them. A row here means the index is
-- missing: opening the store rebuilds it, so a load cut short by a crash
-- leaves a database that is whole again at the next start.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
