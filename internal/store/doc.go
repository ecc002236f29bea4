// Package store keeps every FHIR resource, its versions, its search index
// and its patient compartment, in SQLite (embedded, the default) or
// PostgreSQL (shared by many server nodes). It is the only package that
// speaks SQL. Each write is one transaction holding the resource, its history
// row, its index rows and its audit row; the stored JSON bytes are the truth
// and are served as they are.
package store
