package server_test

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSwaggerSecretKept: the demo's Swagger UI client keeps its secret
// from one start to the next (the secret pasted into Swagger UI keeps
// working), the secret authenticates the client, and a secret reset by an
// operator (the hash no longer matches) is replaced by a new one.
func TestSwaggerSecretKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		ctx := context.Background()
		id1, s1, err := ts.app.EnsureSwaggerClient(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id2, s2, err := ts.app.EnsureSwaggerClient(ctx) // the next start
		if err != nil {
			t.Fatal(err)
		}
		if id1 != id2 || s1 != s2 {
			t.Fatalf("second start: client %s secret changed %v, want the same client and secret", id2, s1 != s2)
		}
		c, err := ts.app.Store.Client(ctx, id1)
		if err != nil || c.SecretHash != auth.HashSecret(s1) {
			t.Fatalf("the kept secret does not match the client's hash (%v)", err)
		}
		if err := ts.app.Store.SetClientSecretHash(ctx, id1, auth.HashSecret("reset-by-operator")); err != nil {
			t.Fatal(err)
		}
		_, s3, err := ts.app.EnsureSwaggerClient(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s3 == s1 {
			t.Error("after a reset the stale secret is returned")
		}
		if c, _ := ts.app.Store.Client(ctx, id1); c.SecretHash != auth.HashSecret(s3) {
			t.Error("the new secret does not match the client's hash")
		}
	})
}
