package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// openNode opens one more store over the database dsn names, as another emp
// node would.
func openNode(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Two nodes over one database see each other's writes at once, and the
// once-only guarantees hold across them, not just within one process.
func TestNodesShareOneDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		dsn := storetest.DSN(t, dialect)
		nodes := []*store.Store{openNode(t, dsn), openNode(t, dsn)}
		a, b := nodes[0], nodes[1]
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

		if err := a.CreateClient(ctx, authrec.Client{ID: "c", RedirectURIs: []string{"https://app.example/cb"}, Status: authrec.ClientApproved}); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.OriginRegistered(ctx, "https://app.example"); err != nil || !ok {
			t.Errorf("node b does not see node a's client: %v %v", ok, err)
		}

		if err := a.CreateCode(ctx, authrec.Code{Hash: "code", GrantID: "g", ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := a.CreateRefreshToken(ctx, authrec.RefreshToken{Hash: "rt", GrantID: "g", ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		var first, rotated atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			n := nodes[i%2]
			wg.Go(func() {
				_, replay, err := n.ConsumeCode(ctx, "code", now)
				if err != nil {
					t.Error(err)
				} else if !replay {
					first.Add(1)
				}
				err = n.RotateRefreshToken(ctx, "rt", authrec.RefreshToken{Hash: fmt.Sprintf("rt-%d", i), GrantID: "g"}, now)
				switch {
				case err == nil:
					rotated.Add(1)
				case errs.KindOf(err) != errs.Conflict:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if first.Load() != 1 || rotated.Load() != 1 {
			t.Errorf("across nodes: code consumed first %d times, token rotated %d times; want once each", first.Load(), rotated.Load())
		}

		if err := b.CreateGrant(ctx, authrec.Grant{ID: "g"}); err != nil {
			t.Fatal(err)
		}
		if err := b.RevokeGrant(ctx, "g", now); err != nil {
			t.Fatal(err)
		}
		if r, err := a.Revoked(ctx, authrec.TokenRef{JTI: "jti", Grant: "g"}); err != nil || !r {
			t.Errorf("node a does not see node b's revocation: %v %v", r, err)
		}
	})
}
