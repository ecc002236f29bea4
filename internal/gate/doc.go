// Package gate is the one request gate of the faces (FHIR, the JSON API,
// the patient portal API, bulk export, /metrics): it authenticates the
// bearer token, puts who is asking into the request's context for the
// store's audit rows and search shares, runs the face's handler, answers
// its error in the face's own format, and records the access in the audit
// log. A refusal before anyone is authenticated (no token, an expired,
// forged or revoked one) is audited and logged with its cause here too, so
// no face can forget it.
//
// A face handler then reads as check, act, answer: it receives a *Request
// with the caller, checks the caller's rights for what it is about to do,
// does it, writes the answer, and names in Request.Audit what it touched.
//
// The FHIR face's per-interaction decision (scopes, patient confinement,
// granular scope filters) is Allow and ScopeFilters: functions of the
// caller, the type and the interaction, so a path that is not one HTTP
// request per interaction (a Bundle entry, an operation) asks the same
// question the same way.
package gate
