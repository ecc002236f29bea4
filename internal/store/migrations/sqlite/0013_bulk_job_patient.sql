-- An export job belongs to the client, the token subject (owner) and, for a
-- patient-context token, the patient in context: status, cancel, download
-- and the per-client limit all go by the three together, so two patients
-- signed in to the same app neither see each other's exports nor share one
-- quota. Jobs started before this column existed keep '' and so answer only
-- tokens without a patient in context.
ALTER TABLE bulk_jobs ADD COLUMN patient TEXT NOT NULL DEFAULT '';
DROP INDEX bulk_jobs_client;
CREATE INDEX bulk_jobs_owner ON bulk_jobs (client_id, owner, patient, status);
