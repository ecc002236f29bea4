// Package bulk is FHIR Bulk Data export (Bulk Data Access 2.0): the
// $export kick-off at system, Patient and Group level, the status URL that
// answers with the manifest, the file downloads, and the workers that run
// the jobs.
//
// A job is a row in the store, so it survives a restart and any node may run
// it: a worker claims a job with a lease, renews the lease while it works,
// and records each finished file in the same transaction as the checkpoint
// past it. A worker that dies stops renewing; when the lease runs out another
// worker claims the job and resumes from the checkpoint, so no resource is
// written twice and none is skipped. Resources are read by row id a page at
// a time as they were at the job's transaction time, so memory stays flat
// whatever the size of the export.
package bulk
