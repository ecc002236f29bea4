package authstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/auth/authstore"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openNodeWith(t *testing.T, dsn string, opt authstore.Options) *authstore.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return authstore.NewWithOptions(st, opt)
}

// TestRevocationAnswersKeptByEpoch: answers are kept while no revocation
// happened; a revocation through the node takes effect there at once, one
// through another node once the epoch is read again (EpochTTL), and at once
// everywhere when the epoch is read on every check.
func TestRevocationAnswersKeptByEpoch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, dialect)
		clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		a := openNodeWith(t, dsn, authstore.Options{EpochTTL: time.Second, Now: clock.Now})
		b := openNodeWith(t, dsn, authstore.Options{EpochTTL: time.Second, Now: clock.Now})
		eager := openNodeWith(t, dsn, authstore.Options{EpochTTL: -1})
		for _, g := range []string{"g1", "g2", "g3"} {
			if err := a.CreateGrant(ctx, auth.Grant{ID: g}); err != nil {
				t.Fatal(err)
			}
		}
		revoked := func(s *authstore.Store, jti, grant string) bool {
			t.Helper()
			r, err := s.Revoked(ctx, auth.TokenRef{JTI: jti, Grant: grant})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, s := range []*authstore.Store{a, b, eager} {
			if revoked(s, "t1", "g1") || revoked(s, "t2", "g2") {
				t.Fatal("a live token is revoked")
			}
		}

		// Through a: a knows at once; the eager node too; b once its epoch
		// is old.
		if err := a.RevokeGrant(ctx, "g1", clock.Now()); err != nil {
			t.Fatal(err)
		}
		if !revoked(a, "t1", "g1") {
			t.Error("node a does not see its own revocation at once")
		}
		if !revoked(eager, "t1", "g1") {
			t.Error("a node reading the epoch on every check missed the revocation")
		}
		clock.Advance(1100 * time.Millisecond)
		if !revoked(b, "t1", "g1") {
			t.Error("node b still answers from before the revocation after EpochTTL")
		}

		// A revoked access token, and a deleted client's grant, the same.
		if err := b.RevokeToken(ctx, "t2", clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !revoked(b, "t2", "g2") {
			t.Error("node b does not see its own token revocation at once")
		}
		clock.Advance(1100 * time.Millisecond)
		if !revoked(a, "t2", "g2") {
			t.Error("node a missed the token revocation after EpochTTL")
		}
		if revoked(a, "t3", "g3") {
			t.Error("an unrelated grant counts as revoked")
		}
	})
}

func BenchmarkRevokedCached(b *testing.B) {
	st, err := store.Open(context.Background(), b.TempDir()+"/emp.db", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := authstore.New(st)
	ctx := context.Background()
	if err := s.CreateGrant(ctx, auth.Grant{ID: "g"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if r, err := s.Revoked(ctx, auth.TokenRef{JTI: "jti", Grant: "g"}); err != nil || r {
			b.Fatal(r, err)
		}
	}
}
