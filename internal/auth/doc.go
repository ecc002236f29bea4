// Package auth is the authorization server of emp: OAuth 2.0, OpenID Connect
// and SMART App Launch 2.x. It issues the access tokens package authz
// verifies, and nothing else in emp mints tokens for clients.
//
// # Faces
//
// New builds one http.Handler serving, under the issuer's base URL:
//
//	GET      /.well-known/smart-configuration (also under the FHIR base)
//	GET      /.well-known/openid-configuration
//	GET|POST /connect/authorize            the start of the authorization code flow
//	POST     /connect/token                every grant
//	POST     /connect/register             RFC 7591 dynamic registration
//	POST     /connect/introspect           RFC 7662
//	POST     /connect/revoke               RFC 7009
//	GET|POST /connect/userinfo             OpenID Connect userinfo
//	GET      /connect/jwks                 the key ring's public keys
//	GET      /connect/smart-style          the smart_style_url document
//	GET      /authorize/logout             RP-initiated logout
//	GET|POST /connect/login, /connect/patient, /connect/consent   the pages
//
// # Grants
//
// Authorization code with PKCE (S256 only; required of public clients), refresh
// token (with offline_access; rotated, reuse revokes the family), password
// (off unless the password_grant setting enables it) and client credentials
// (private_key_jwt only, RS384 or ES384).
//
// # Grants, families and revocation
//
// Every user authorization (a consent or a password grant) is a Grant in the
// store. Its id is the "grant" claim of every access token issued under it,
// the family of its refresh tokens and the "sid" of its id_tokens, so one
// revocation of the grant ends all of them: a replayed code, a reused refresh
// token, RFC 7009 revocation of a refresh token, and logout each revoke the
// grant. The gate (authz.Verifier) asks the store about revocations through
// authz.RevocationCache, which keeps the answers while the store's
// revocation epoch is unchanged (Config.Revocation).
//
// # Secrets at rest
//
// Client secrets, codes, refresh tokens, launch values and browser sessions
// are high-entropy random values; the store keeps only their SHA-256. User
// passwords are hashed by a PasswordHasher: the server passes Argon2id
// (golang.org/x/crypto/argon2, OWASP's parameters), which also verifies
// PBKDF2-HMAC-SHA256 hashes; PBKDF2 is what a Server configured without a
// hasher uses.
//
// # Records
//
// The records (clients, users, sessions, flows, grants) are defined once in
// package authrec, with the storage contract (Storage) here; *store.Store
// implements it, and authtest holds it to the contract on every database.
package auth
