package authz

import (
	"context"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// node is one emp node over a shared database: its store and the gate's
// revocation cache over it.
type node struct {
	st    *store.Store
	cache *RevocationCache
}

func openNode(t testing.TB, dsn string, opt RevocationCacheOptions) node {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return node{st: st, cache: NewRevocationCache(st, opt)}
}

// TestRevocationAnswersKeptByEpoch: answers are kept while no revocation
// happened; a revocation through the node takes effect there at once, one
// through another node once the epoch is read again (EpochTTL), and at once
// everywhere when the epoch is read on every check.
func TestRevocationAnswersKeptByEpoch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		clock := newClock()
		a := openNode(t, dsn, RevocationCacheOptions{EpochTTL: time.Second, Now: clock.Now})
		b := openNode(t, dsn, RevocationCacheOptions{EpochTTL: time.Second, Now: clock.Now})
		eager := openNode(t, dsn, RevocationCacheOptions{EpochTTL: -1})
		for _, g := range []string{"g1", "g2", "g3"} {
			if err := a.st.CreateGrant(ctx, authrec.Grant{ID: g}); err != nil {
				t.Fatal(err)
			}
		}
		revoked := func(n node, jti, grant string) bool {
			t.Helper()
			r, err := n.cache.IsRevoked(ctx, &Claims{ID: jti, Grant: grant})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, n := range []node{a, b, eager} {
			if revoked(n, "t1", "g1") || revoked(n, "t2", "g2") {
				t.Fatal("a live token is revoked")
			}
		}

		// Through a: a knows at once; the eager node too; b once its epoch
		// is old.
		if err := a.st.RevokeGrant(ctx, "g1", clock.Now()); err != nil {
			t.Fatal(err)
		}
		if !revoked(a, "t1", "g1") {
			t.Error("node a does not see its own revocation at once")
		}
		if !revoked(eager, "t1", "g1") {
			t.Error("a node reading the epoch on every check missed the revocation")
		}
		if revoked(b, "t1", "g1") {
			t.Error("node b read the epoch again before EpochTTL: its answers are not kept")
		}
		clock.Advance(1100 * time.Millisecond)
		if !revoked(b, "t1", "g1") {
			t.Error("node b still answers from before the revocation after EpochTTL")
		}

		// A revoked access token, the same.
		if err := b.st.RevokeToken(ctx, "t2", clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !revoked(b, "t2", "g2") {
			t.Error("node b does not see its own token revocation at once")
		}
		clock.Advance(1100 * time.Millisecond)
		if !revoked(a, "t2", "g2") {
			t.Error("node a missed the token revocation after EpochTTL")
		}

		// A disabled client's tokens, through the client's status.
		if err := a.st.CreateClient(ctx, authrec.Client{ID: "c", Status: authrec.ClientApproved}); err != nil {
			t.Fatal(err)
		}
		if revoked(a, "t4", "") {
			t.Fatal("a live client's token is revoked")
		}
		if err := a.st.SetClientStatus(ctx, "c", authrec.ClientDisabled); err != nil {
			t.Fatal(err)
		}
		if r, err := a.cache.IsRevoked(ctx, &Claims{ID: "t4", ClientID: "c", IssuedAt: clock.Now()}); err != nil || !r {
			t.Errorf("a disabled client's token is not revoked at once on its node: %v %v", r, err)
		}
		if revoked(a, "t3", "g3") {
			t.Error("an unrelated grant counts as revoked")
		}
	})
}

func BenchmarkRevokedCached(b *testing.B) {
	n := openNode(b, b.TempDir()+"/emp.db", RevocationCacheOptions{})
	ctx := context.Background()
	if err := n.st.CreateGrant(ctx, authrec.Grant{ID: "g"}); err != nil {
		b.Fatal(err)
	}
	c := &Claims{ID: "jti", Grant: "g"}
	for b.Loop() {
		if r, err := n.cache.IsRevoked(ctx, c); err != nil || r {
			b.Fatal(r, err)
		}
	}
}
