// Package authz is the gate of emp: the format of the access tokens the
// server issues, the keys that sign them, and the one decision every face
// (the FHIR face /fhir/r4, the JSON API /api/ and the portal /portal/) asks
// for each request.
//
// Access tokens are JWTs (compact JWS, header typ "at+jwt") signed with
// ES256 by the server's own key: P-256 signatures are cheap enough for the
// authorization server to mint thousands of client-credentials tokens per
// second. id_tokens are signed with RS256, which OpenID Connect requires
// every client to understand. The KeyRing keeps one active key of each, keeps
// them in the store (KeyStore) so every node of a cluster signs and verifies
// with the same keys, and publishes the public halves as a JWKS.
//
// The Verifier turns a request's bearer token into a Principal: signature,
// issuer, audience and lifetime are checked once per token and the result is
// cached by the token's hash; revocation is asked on every request, since a
// revoked token must stop working at once. The Principal then answers the
// decisions (CanFHIR, CanAPI, CanPortal, CanOperation) from the token's role
// and SMART scopes.
//
// # Which scopes count
//
// The token's role picks the scope context: a patient's token uses patient/
// scopes only, a backend client's (role system) system/ scopes only, a staff
// user's (admin, clinician, front-office) user/ scopes, and patient/ scopes as
// well when the token carries a patient context (a provider's app launched
// for one patient).
//
// The api:fhir, api:oemr and api:port scopes choose the faces. /api/ needs
// api:oemr and /portal/ needs api:port. /fhir/r4 needs api:fhir only when the
// grant names a face at all: SMART apps never ask for api:fhir, so a grant
// without any api:* scope may use the FHIR face (and only it), while a grant
// that names api:oemr or api:port but not api:fhir was limited on purpose and
// is refused there. The wildcard resource (user/*.rs) covers both FHIR types
// and /api/ names; the face scope decides which face it is used on.
package authz
