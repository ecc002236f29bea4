// Package authtest is the contract of auth.Storage as tests: Run checks
// every method of a storage against what the interfaces promise, including
// the guarantees that must hold under concurrency (a code consumed once, a
// refresh token rotated once, an assertion id used once). The in-memory
// store and the SQL store both run it, so they cannot drift apart.
package authtest
