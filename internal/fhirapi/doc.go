// Package fhirapi is the FHIR R4 REST face of emp, served at /fhir/r4: read,
// vread, create, update, delete, history and search over the store, with a
// CapabilityStatement generated from what the server really supports. Every
// request passes the one gate (package authz) first; every error is an
// OperationOutcome.
package fhirapi
