-- DocumentReference relationship (relatesTo target $ code) became
-- searchable: opening the store indexes the DocumentReferences already
-- stored (see backfillIndexes).
INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite:DocumentReference', 0);
