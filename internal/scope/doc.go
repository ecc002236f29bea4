// Package scope is the SMART on FHIR scope language of emp: parsing scope
// strings and answering what a set of granted scopes allows. It does no I/O;
// the authorization server uses it to register, request and grant scopes, and
// the gate (package authz) to decide every request.
//
// # Grammar
//
// A resource scope is
//
//	context "/" resource "." access ["?" query]
//
// where context is patient, user or system, and resource is one of:
//
//   - a FHIR R4 resource type (capitalised, e.g. Observation), a FHIR scope;
//   - an /api/ or /portal/ resource name (lower case letters and "_", e.g.
//     soap_note), an API scope: these name the practice's own JSON API
//     resources, which are not FHIR types;
//   - "*", every resource of whichever face the token is used on.
//
// access is one of
//
//   - SMART v1: "read" (= v2 "rs"), "write" (= "cud") or "*" (= "cruds");
//   - SMART v2: a non-empty subset of the letters c r u d s, in that order,
//     each at most once ("rs", "cud", "cruds"; "sr" and "rr" are rejected);
//   - an operation, "$" followed by its name ("$export", "$docref").
//
// A v2 scope on a FHIR type may carry a granular query:
// patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory
// Each parameter is name=token where the token is "system|code", "|code"
// (code without a system), "system|" (any code of the system) or "code" (the
// code in any system); several parameters joined by "&" must all match. The
// raw query is kept so the FHIR face can run it as a search. v1 forms,
// operations, wildcards and API names take no query: SMART v1 has no
// granular scopes, and the /api/ face has no FHIR search to narrow.
//
// Non-resource scopes are a fixed list (openid, fhirUser, profile, launch,
// launch/patient, launch/encounter, offline_access, online_access, api:fhir,
// api:oemr, api:port); anything else is an unknown scope.
//
// # v1 and v2
//
// Decisions work on the permission letters, so user/Patient.read and
// user/Patient.rs mean the same. A parsed scope remembers whether it was
// written in v1 form, and String gives it back in that form, so a client
// that asked in v1 is answered in v1.
package scope
