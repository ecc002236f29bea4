package auth

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// Storage contract tests: the SQL store must pass the same.

func TestConsumeCodeOnceUnderConcurrency(t *testing.T) {
	s := NewMemStore()
	now := time.Now()
	if err := s.CreateCode(bg, Code{Hash: "h", GrantID: "g", ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var first, replays atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			c, replay, err := s.ConsumeCode(bg, "h", now)
			if err != nil || c.GrantID != "g" {
				t.Errorf("%v %+v", err, c)
			}
			if replay {
				replays.Add(1)
			} else {
				first.Add(1)
			}
		})
	}
	wg.Wait()
	if first.Load() != 1 || replays.Load() != 49 {
		t.Errorf("first %d replays %d", first.Load(), replays.Load())
	}
	if _, _, err := s.ConsumeCode(bg, "nope", now); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown code: %v", err)
	}
}

func TestRotateRefreshOnceUnderConcurrency(t *testing.T) {
	s := NewMemStore()
	now := time.Now()
	s.CreateRefreshToken(bg, RefreshToken{Hash: "old", GrantID: "g", ExpiresAt: now.Add(time.Hour)})
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			err := s.RotateRefreshToken(bg, "old", RefreshToken{Hash: "new-" + string(rune('A'+i)), GrantID: "g"}, now)
			switch errs.KindOf(err) {
			case errs.Conflict:
				conflicts.Add(1)
			default:
				if err == nil {
					ok.Add(1)
				} else {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || conflicts.Load() != 49 {
		t.Errorf("ok %d conflicts %d", ok.Load(), conflicts.Load())
	}
	if rt, _ := s.RefreshToken(bg, "old"); rt.RotatedAt.IsZero() {
		t.Error("old token not marked rotated")
	}
}

func TestUseAssertionIDOnce(t *testing.T) {
	s := NewMemStore()
	exp := time.Now().Add(time.Minute)
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if f, _ := s.UseAssertionID(bg, "c", "j", exp); f {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Errorf("fresh %d times", fresh.Load())
	}
	if f, _ := s.UseAssertionID(bg, "other-client", "j", exp); !f {
		t.Error("jtis are per client")
	}
}

func TestRevokedContract(t *testing.T) {
	s := NewMemStore()
	now := time.Now()
	s.CreateGrant(bg, Grant{ID: "g1"})
	cases := []struct {
		jti, grant string
		want       bool
	}{
		{"j1", "", false},
		{"j1", "g1", false},
		{"j1", "unknown-grant", true},
	}
	for _, c := range cases {
		if got, _ := s.Revoked(bg, c.jti, c.grant); got != c.want {
			t.Errorf("Revoked(%q, %q) = %v", c.jti, c.grant, got)
		}
	}
	s.RevokeToken(bg, "j1", now.Add(time.Hour))
	if got, _ := s.Revoked(bg, "j1", ""); !got {
		t.Error("revoked jti not revoked")
	}
	s.RevokeGrant(bg, "g1", now)
	s.RevokeGrant(bg, "g1", now.Add(time.Hour))
	if g, _ := s.Grant(bg, "g1"); !g.RevokedAt.Equal(now) {
		t.Error("a second revocation moved the time")
	}
	if got, _ := s.Revoked(bg, "j2", "g1"); !got {
		t.Error("token of a revoked grant not revoked")
	}
	if err := s.RevokeGrant(bg, "nope", now); errs.KindOf(err) != errs.NotFound {
		t.Errorf("%v", err)
	}
}

func TestMemStoreConflictsAndMisses(t *testing.T) {
	s := NewMemStore()
	if err := s.CreateUser(bg, User{ID: "1", Username: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(bg, User{ID: "2", Username: "a"}); errs.KindOf(err) != errs.Conflict {
		t.Errorf("duplicate username: %v", err)
	}
	if _, err := s.Client(bg, "x"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("%v", err)
	}
	if _, err := s.Setting(bg, "x"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("%v", err)
	}
	s.CreateClient(bg, Client{ID: "c", RedirectURIs: []string{"https://a.example:8443/cb"}, Status: ClientApproved})
	s.CreateClient(bg, Client{ID: "d", RedirectURIs: []string{"https://pending.example/cb"}, Status: ClientPending})
	for origin, want := range map[string]bool{"https://a.example:8443": true, "https://a.example": false, "https://pending.example": false} {
		if got, _ := s.OriginRegistered(bg, origin); got != want {
			t.Errorf("OriginRegistered(%s) = %v", origin, got)
		}
	}
}
