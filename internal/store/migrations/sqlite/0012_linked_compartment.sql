-- Resources of types outside the patient compartment that can point at a
-- patient (Device patient, Binary securityContext, a Bundle's entries…)
-- are now confined by those references: opening the store writes the
-- compartment rows of the ones already stored (see backfillIndexes).
INSERT INTO index_backfill (name, after_rid) VALUES ('compartment:linked', 0);
