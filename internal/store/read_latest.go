package store

import "context"

// latestKey is the context key of Latest.
type latestKey struct{}

// Latest marks ctx's reads as the first half of a read-modify-write (a
// PATCH, the JSON API's partial updates): they are answered by the primary,
// never by the read cache or a replica, which may be a moment behind
// another node's write. The write that follows names the version read as
// its precondition, so a stale read would make the caller's write fail
// with a conflict it did not cause: a client that updated a resource
// through one node and patches it through another must find its own
// version.
func Latest(ctx context.Context) context.Context {
	return context.WithValue(ctx, latestKey{}, true)
}

// wantsLatest reports whether ctx's reads must see everything committed.
func wantsLatest(ctx context.Context) bool {
	v, _ := ctx.Value(latestKey{}).(bool)
	return v
}
