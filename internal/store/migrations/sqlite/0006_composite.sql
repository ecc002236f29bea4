-- Composite search parameters (Observation code-value-quantity): one row
-- per pairing of a token (t_system, t_code) with a value of the second
-- component found on the same element. The second component's columns
-- are those of its own index table, so that its conditions read the same:
-- system and code (token, quantity unit), unit, value/lo/hi (quantity,
-- number), d_lo/d_hi (date, as idx_date lo/hi), norm (string); the columns
-- of other types hold zero values.
CREATE TABLE idx_composite (
    rid      INTEGER NOT NULL,
    pid      INTEGER NOT NULL,
    t_system TEXT    NOT NULL,
    t_code   TEXT    NOT NULL,
    system   TEXT    NOT NULL,
    code     TEXT    NOT NULL,
    unit     TEXT    NOT NULL,
    value    REAL    NOT NULL,
    lo       REAL    NOT NULL,
    hi       REAL    NOT NULL,
    d_lo     INTEGER NOT NULL,
    d_hi     INTEGER NOT NULL,
    norm     TEXT    NOT NULL,
    PRIMARY KEY (rid, pid, t_code, t_system, code, system, unit, value, lo, hi, d_lo, d_hi, norm)
) WITHOUT ROWID;
CREATE INDEX idx_composite_lookup ON idx_composite (pid, t_code, t_system);

-- Index tables that resources written before them lack rows in: opening
-- the store walks the resources after after_rid and writes their rows,
-- recording its progress, and removes the row when done.
CREATE TABLE index_backfill (
    name      TEXT PRIMARY KEY,
    after_rid INTEGER NOT NULL
);
INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite', 0);
