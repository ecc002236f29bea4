-- A counter every change of a site setting increments in its own
-- transaction. A node may keep the settings it read while the counter is
-- unchanged, and needs to read only this row to know.
CREATE TABLE auth_settings_epoch (
    id INTEGER PRIMARY KEY,
    n  BIGINT  NOT NULL
);
INSERT INTO auth_settings_epoch (id, n) VALUES (1, 0);
