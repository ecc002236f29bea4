-- Parameters whose index rows other parameters hold already (Observation
-- patient is subject where the target is a Patient; combo-code is code and
-- component-code) no longer get rows of their own. Opening the store walks
-- the resources after after_rid and deletes the rows written for them
-- before, recording its progress, and removes this row when done.
INSERT INTO index_backfill (name, after_rid) VALUES ('shared_rows', 0);
