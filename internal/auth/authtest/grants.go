package authtest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

func testGrants(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	g := auth.Grant{ID: "g1", ClientID: "c", GrantType: auth.GrantAuthorizationCode, Subject: "u1", Role: "patient",
		FHIRUser: "Patient/pat-1", Scope: "launch/patient patient/*.rs offline_access", Patient: "pat-1",
		Encounter: "enc-1", Intent: "summary", FHIRContext: []auth.FHIRContext{{Reference: "Encounter/enc-1"}},
		NeedPatientBanner: true, AuthTime: at(0), CreatedAt: at(time.Second)}
	written := g
	written.LastUsedAt = at(time.Hour) // derived: CreateGrant ignores it
	must(t, s.CreateGrant(ctx, written))
	got, err := s.Grant(ctx, "g1")
	must(t, err)
	same(t, "grant", got, g)
	wantKind(t, "duplicate grant", s.CreateGrant(ctx, g), errs.Conflict)
	_, err = s.Grant(ctx, "nope")
	wantKind(t, "unknown grant", err, errs.NotFound)

	// The last use follows the newest refresh token.
	must(t, s.CreateRefreshToken(ctx, auth.RefreshToken{Hash: "r1", GrantID: "g1", ClientID: "c", CreatedAt: at(2 * time.Second), ExpiresAt: at(time.Hour)}))
	must(t, s.RotateRefreshToken(ctx, "r1", auth.RefreshToken{Hash: "r2", GrantID: "g1", ClientID: "c", CreatedAt: at(time.Minute), ExpiresAt: at(2 * time.Hour)}, at(time.Minute)))
	got, err = s.Grant(ctx, "g1")
	must(t, err)
	if !got.LastUsedAt.Equal(at(time.Minute)) {
		t.Errorf("last used %v, want the newest refresh token's creation %v", got.LastUsedAt, at(time.Minute))
	}

	must(t, s.RevokeGrant(ctx, "g1", at(time.Hour)))
	must(t, s.RevokeGrant(ctx, "g1", at(2*time.Hour)))
	got, err = s.Grant(ctx, "g1")
	must(t, err)
	if !got.RevokedAt.Equal(at(time.Hour)) || !got.Revoked() {
		t.Errorf("revoked at %v, want the first revocation %v", got.RevokedAt, at(time.Hour))
	}
	wantKind(t, "revoke unknown grant", s.RevokeGrant(ctx, "nope", at(0)), errs.NotFound)
}

func testGrantsBySubject(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	for i, g := range []auth.Grant{
		{ID: "old", Subject: "amy", ClientID: "c1"},
		{ID: "new", Subject: "amy", ClientID: "c2"},
		{ID: "bobs", Subject: "bob", ClientID: "c1"},
		{ID: "mid", Subject: "amy", ClientID: "c1"},
	} {
		g.CreatedAt = at(time.Duration(i) * time.Minute)
		if g.ID == "new" {
			g.CreatedAt = at(time.Hour)
		}
		must(t, s.CreateGrant(ctx, g))
	}
	must(t, s.RevokeGrant(ctx, "mid", at(2*time.Hour)))
	must(t, s.CreateRefreshToken(ctx, auth.RefreshToken{Hash: "r", GrantID: "old", ClientID: "c1", CreatedAt: at(3 * time.Hour), ExpiresAt: at(4 * time.Hour)}))

	list, err := s.GrantsBySubject(ctx, "amy")
	must(t, err)
	var ids []string
	for _, g := range list {
		ids = append(ids, g.ID)
	}
	same(t, "amy's grants, newest first, revoked included", ids, []string{"new", "mid", "old"})
	if len(list) == 3 {
		if !list[1].Revoked() {
			t.Error("the revoked grant is listed as live")
		}
		if !list[2].LastUsedAt.Equal(at(3*time.Hour)) || !list[0].LastUsedAt.IsZero() {
			t.Errorf("last use: new %v, old %v", list[0].LastUsedAt, list[2].LastUsedAt)
		}
	}
	list, err = s.GrantsBySubject(ctx, "nobody")
	must(t, err)
	if len(list) != 0 {
		t.Errorf("grants of an unknown subject: %+v", list)
	}
}

func testRefreshTokens(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	rt := auth.RefreshToken{Hash: "r1", GrantID: "g", ClientID: "c", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	must(t, s.CreateRefreshToken(ctx, rt))
	got, err := s.RefreshToken(ctx, "r1")
	must(t, err)
	same(t, "refresh token", got, rt)
	wantKind(t, "duplicate refresh token", s.CreateRefreshToken(ctx, rt), errs.Conflict)
	_, err = s.RefreshToken(ctx, "nope")
	wantKind(t, "unknown refresh token", err, errs.NotFound)

	next := auth.RefreshToken{Hash: "r2", GrantID: "g", ClientID: "c", CreatedAt: at(time.Minute), ExpiresAt: at(2 * time.Hour)}
	must(t, s.RotateRefreshToken(ctx, "r1", next, at(time.Minute)))
	got, err = s.RefreshToken(ctx, "r1")
	must(t, err)
	if !got.RotatedAt.Equal(at(time.Minute)) {
		t.Errorf("old token rotated at %v", got.RotatedAt)
	}
	got, err = s.RefreshToken(ctx, "r2")
	must(t, err)
	same(t, "next refresh token", got, next)

	cases := []struct {
		name string
		old  string
		next string
		want errs.Kind
	}{
		{"rotated token used again", "r1", "r3", errs.Conflict},
		{"unknown token", "nope", "r4", errs.NotFound},
		// A next hash that exists changes nothing: r2 stays current.
		{"next hash taken", "r2", "r1", errs.Conflict},
	}
	for _, c := range cases {
		err := s.RotateRefreshToken(ctx, c.old, auth.RefreshToken{Hash: c.next, GrantID: "g", ClientID: "c"}, at(time.Hour))
		wantKind(t, c.name, err, c.want)
	}
	if got, _ := s.RefreshToken(ctx, "r2"); !got.RotatedAt.IsZero() {
		t.Error("a failed rotation marked the token rotated")
	}
	if _, err := s.RefreshToken(ctx, "r3"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("a refused rotation stored its next token: %v", err)
	}
}

func testRotateConcurrently(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	must(t, s.CreateRefreshToken(ctx, auth.RefreshToken{Hash: "old", GrantID: "g", ExpiresAt: at(time.Hour)}))
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			err := s.RotateRefreshToken(ctx, "old", auth.RefreshToken{Hash: fmt.Sprintf("new-%d", i), GrantID: "g"}, at(time.Second))
			switch {
			case err == nil:
				ok.Add(1)
			case errs.KindOf(err) == errs.Conflict:
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || conflicts.Load() != 49 {
		t.Errorf("ok %d conflicts %d, want 1 and 49", ok.Load(), conflicts.Load())
	}
	if rt, err := s.RefreshToken(ctx, "old"); err != nil || rt.RotatedAt.IsZero() {
		t.Errorf("old token not marked rotated: %v", err)
	}
}

func testRevoked(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	must(t, s.CreateGrant(ctx, auth.Grant{ID: "g1"}))
	must(t, s.CreateGrant(ctx, auth.Grant{ID: "g2"}))
	must(t, s.RevokeToken(ctx, "j-revoked", at(time.Hour)))
	must(t, s.RevokeToken(ctx, "j-revoked", at(time.Hour))) // twice is fine
	must(t, s.RevokeGrant(ctx, "g2", at(0)))
	cases := []struct {
		jti, grant string
		want       bool
	}{
		{"j1", "", false},
		{"j1", "g1", false},
		{"j1", "unknown-grant", true},
		{"j1", "g2", true},
		{"j-revoked", "", true},
		{"j-revoked", "g1", true},
	}
	for _, c := range cases {
		got, err := s.Revoked(ctx, auth.TokenRef{JTI: c.jti, Grant: c.grant})
		must(t, err)
		if got != c.want {
			t.Errorf("Revoked(%q, %q) = %v", c.jti, c.grant, got)
		}
	}
}

func testSettings(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	testInitSettingRace(t, s)
	_, err := s.Setting(ctx, auth.SettingPasswordGrant)
	wantKind(t, "unset setting", err, errs.NotFound)
	must(t, s.SetSetting(ctx, auth.SettingPasswordGrant, "on"))
	must(t, s.SetSetting(ctx, auth.SettingAppApproval, "manual"))
	must(t, s.SetSetting(ctx, auth.SettingPasswordGrant, "off"))
	for k, want := range map[string]string{auth.SettingPasswordGrant: "off", auth.SettingAppApproval: "manual"} {
		got, err := s.Setting(ctx, k)
		must(t, err)
		if got != want {
			t.Errorf("setting %s = %q, want %q", k, got, want)
		}
	}
}

// testInitSettingRace has writers, released together, each offer their own
// value for one unset key: every one of them gets back the same value, the
// one the storage keeps, and a later offer changes nothing.
func testInitSettingRace(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	const n = 8
	got := make([]string, n)
	errc := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errc[i] = s.InitSetting(ctx, "race_key", fmt.Sprintf("value-%d", i))
		}()
	}
	close(start)
	wg.Wait()
	stored, err := s.Setting(ctx, "race_key")
	must(t, err)
	for i := range n {
		must(t, errc[i])
		if got[i] != stored {
			t.Errorf("writer %d settled on %q, the storage holds %q", i, got[i], stored)
		}
	}
	again, err := s.InitSetting(ctx, "race_key", "late")
	must(t, err)
	if again != stored {
		t.Errorf("a late InitSetting replaced %q with %q", stored, again)
	}
}
