-- Composite search parameters (Observation code-value-quantity): one row
-- per pairing of a token (t_system, t_code) with a value of the second
-- component found on the same element. The second component's columns
-- are those of its own index table, so that its conditions read the same:
-- system and code (token, quantity unit), unit, value/lo/hi (quantity,
-- number), d_lo/d_hi (date, as idx_date lo/hi), norm (string); the columns
-- of other types hold zero values.
CREATE TABLE idx_composite (
    rid      BIGINT NOT NULL,
    pid      BIGINT NOT NULL,
    t_system TEXT   NOT NULL,
    t_code   TEXT   NOT NULL,
    system   TEXT   NOT NULL,
    code     TEXT   NOT NULL,
    unit     TEXT   NOT NULL,
    value    DOUBLE PRECISION NOT NULL,
    lo       DOUBLE PRECISION NOT NULL,
    hi       DOUBLE PRECISION NOT NULL,
    d_lo     BIGINT NOT NULL,
    d_hi     BIGINT NOT NULL,
    norm     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_composite_lookup ON idx_composite (pid, t_code, t_system, rid);
CREATE INDEX idx_composite_rid ON idx_composite (rid);

-- Index tables that resources written before them lack rows in: opening
-- the store walks the resources after after_rid and writes their rows,
-- recording its progress, and removes the row when done.
CREATE TABLE index_backfill (
    name      TEXT PRIMARY KEY,
    after_rid BIGINT NOT NULL
);
INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite', 0);
