// Package authrec defines the authorization server's records once: the
// clients, users, browser sessions, flows, grants, refresh tokens and
// sign-in throttle rows that package auth works with and package store
// keeps. Both import it, so a field added to a record is added here and
// nowhere else; the store reads and writes these types directly, with no
// mapping layer between the server and its storage.
//
// It imports nothing of emp's: it sits below the store.
package authrec
