// Package api is the practice's standard JSON API, served at /api/ and, for
// clients written for the system the API was modelled on, at
// /apis/default/api/. It keeps no records of its own: every record is a FHIR
// resource in the one store (a patient is a Patient, a vital-signs set is a
// group of Observations, …), so what is written here is readable through
// /fhir/r4 at once and the other way round. Each record type has one file
// holding its mapping in both directions and its validation rules; the
// route table (Routes) lists every endpoint with its scope and Go types, for
// documentation generators.
//
// Every answer has the envelope {validationErrors, internalErrors, data,
// links}. Bad input is a 400 naming each field and writes nothing; the gate
// answers 401 and 403; an unknown id is 404.
package api
