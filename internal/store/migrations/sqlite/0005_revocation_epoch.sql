-- A counter every revocation increments in its own transaction (a token, a
-- grant, a deleted client). A node may keep answers about revocations while
-- the counter is unchanged, and needs to read only this row to know.
CREATE TABLE auth_revocation_epoch (
    id INTEGER PRIMARY KEY,
    n  BIGINT  NOT NULL
);
INSERT INTO auth_revocation_epoch (id, n) VALUES (1, 0);
