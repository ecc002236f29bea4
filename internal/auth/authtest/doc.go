// Package authtest is the contract of auth.Storage as tests: Run checks
// every method of a storage against what the interfaces promise, including
// the guarantees that must hold under concurrency (a code consumed once, a
// refresh token rotated once, an assertion id used once). The store runs it
// on SQLite and on PostgreSQL (store's TestAuthStorageContract), so the two
// dialects cannot drift apart.
package authtest
