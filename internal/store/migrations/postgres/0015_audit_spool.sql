-- An audit row replayed from a node's local spool (written while the
-- database was unreachable) carries the id it was given when spooled, so a
-- replay cut short and run again adds no row twice.
ALTER TABLE audit_log ADD COLUMN spool_id TEXT;
CREATE UNIQUE INDEX audit_log_spool_id ON audit_log (spool_id) WHERE spool_id IS NOT NULL;
