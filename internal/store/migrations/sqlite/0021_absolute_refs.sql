-- An absolute reference is a local resource only under this server's own
-- bases now: the server indexes again, once it knows them, every resource
-- holding an absolute reference (see ReindexAbsoluteReferences).
INSERT INTO index_backfill (name, after_rid) VALUES ('absolute_refs', 0);
