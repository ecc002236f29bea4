package store_test

import (
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// Purge drops what expired and keeps the rest; used codes stay for
// UsedCodeRetention after they expire so that a late replay is still seen.
func TestAuthPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		s := storetest.Open(t, dialect, store.Options{})
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		past, future := now.Add(-time.Minute), now.Add(time.Minute)
		longPast := now.Add(-store.UsedCodeRetention - time.Minute)

		for _, x := range []struct {
			id  string
			exp time.Time
		}{{"expired", past}, {"live", future}} {
			mustAuth(t, s.SaveInteraction(ctx, authrec.Interaction{ID: x.id, ExpiresAt: x.exp}))
			mustAuth(t, s.CreateLaunch(ctx, authrec.Launch{Hash: x.id, ClientID: "c", ExpiresAt: x.exp}))
			mustAuth(t, s.RevokeToken(ctx, x.id, x.exp))
			mustAuth(t, s.CreateRefreshToken(ctx, authrec.RefreshToken{Hash: x.id, GrantID: "g", ClientID: "c", ExpiresAt: x.exp}))
			if _, err := s.UseAssertionID(ctx, "c", x.id, x.exp); err != nil {
				t.Fatal(err)
			}
		}
		mustAuth(t, s.CreateGrant(ctx, authrec.Grant{ID: "g", ClientID: "c"}))
		mustAuth(t, s.CreateCode(ctx, authrec.Code{Hash: "recently-expired", GrantID: "g", ExpiresAt: past}))
		mustAuth(t, s.CreateCode(ctx, authrec.Code{Hash: "long-expired", GrantID: "g", ExpiresAt: longPast}))

		n, err := s.Purge(ctx, now)
		mustAuth(t, err)
		if n != 6 {
			t.Errorf("purged %d rows, want 6", n)
		}

		gone := func(what string, err error) {
			t.Helper()
			if errs.KindOf(err) != errs.NotFound {
				t.Errorf("%s: %v, want NotFound", what, err)
			}
		}
		kept := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Errorf("%s: %v, want it kept", what, err)
			}
		}
		_, err = s.Interaction(ctx, "expired")
		gone("expired interaction", err)
		_, err = s.Interaction(ctx, "live")
		kept("live interaction", err)
		_, err = s.Launch(ctx, "expired")
		gone("expired launch", err)
		_, err = s.Launch(ctx, "live")
		kept("live launch", err)
		_, err = s.RefreshToken(ctx, "expired")
		gone("expired refresh token", err)
		_, err = s.RefreshToken(ctx, "live")
		kept("live refresh token", err)
		_, _, err = s.ConsumeCode(ctx, "long-expired", now)
		gone("code past retention", err)
		_, _, err = s.ConsumeCode(ctx, "recently-expired", now)
		kept("code within retention", err)
		_, err = s.Grant(ctx, "g")
		kept("grant", err)

		revoked := map[string]bool{"expired": false, "live": true}
		for jti, want := range revoked {
			if got, err := s.Revoked(ctx, authrec.TokenRef{JTI: jti}); err != nil || got != want {
				t.Errorf("Revoked(%s) = %v %v after purge", jti, got, err)
			}
		}
		fresh := map[string]bool{"expired": true, "live": false}
		for jti, want := range fresh {
			if got, err := s.UseAssertionID(ctx, "c", jti, future); err != nil || got != want {
				t.Errorf("UseAssertionID(%s) = %v %v after purge", jti, got, err)
			}
		}

		// Nothing left to purge.
		n, err = s.Purge(ctx, now)
		mustAuth(t, err)
		if n != 0 {
			t.Errorf("second purge removed %d rows", n)
		}
	})
}

func mustAuth(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
