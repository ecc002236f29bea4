package authtest

import (
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

func fullClient(id string) auth.Client {
	return auth.Client{
		ID: id, Name: "App " + id, AuthMethod: auth.AuthClientSecretBasic, SecretHash: "hash-" + id,
		RedirectURIs:           []string{"https://" + id + ".example/cb", "https://" + id + ".example:8443/other"},
		PostLogoutRedirectURIs: []string{"https://" + id + ".example/bye"},
		LaunchURI:              "https://" + id + ".example/launch",
		GrantTypes:             []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken},
		Scope:                  "launch openid fhirUser patient/*.rs",
		JWKSURI:                "https://" + id + ".example/jwks",
		Contacts:               []string{"ops@" + id + ".example"},
		LogoURI:                "https://" + id + ".example/logo.png",
		Status:                 auth.ClientApproved,
		CreatedAt:              at(time.Minute),
	}
}

func testClients(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	c := fullClient("a")
	must(t, s.CreateClient(ctx, c))
	got, err := s.Client(ctx, "a")
	must(t, err)
	same(t, "client", got, c)

	// A public client with nothing optional set reads back as written.
	bare := auth.Client{ID: "b", AuthMethod: auth.AuthNone, Status: auth.ClientPending}
	must(t, s.CreateClient(ctx, bare))
	got, err = s.Client(ctx, "b")
	must(t, err)
	same(t, "bare client", got, bare)

	wantKind(t, "duplicate client", s.CreateClient(ctx, fullClient("a")), errs.Conflict)
	_, err = s.Client(ctx, "nope")
	wantKind(t, "unknown client", err, errs.NotFound)

	must(t, s.CreateClient(ctx, fullClient("c")))
	list, err := s.Clients(ctx)
	must(t, err)
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	same(t, "clients oldest first", ids, []string{"a", "b", "c"})
	same(t, "listed client", list[0], c)

	must(t, s.SetClientStatus(ctx, "b", auth.ClientApproved))
	must(t, s.SetClientSecretHash(ctx, "a", "rotated"))
	if got, _ := s.Client(ctx, "b"); got.Status != auth.ClientApproved {
		t.Errorf("status %q after approval", got.Status)
	}
	if got, _ := s.Client(ctx, "a"); got.SecretHash != "rotated" || got.Name != c.Name {
		t.Errorf("after rotation: %+v", got)
	}
	wantKind(t, "status of unknown client", s.SetClientStatus(ctx, "nope", auth.ClientDisabled), errs.NotFound)
	wantKind(t, "secret of unknown client", s.SetClientSecretHash(ctx, "nope", "x"), errs.NotFound)
}

func testClientOrigins(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	must(t, s.CreateClient(ctx, auth.Client{ID: "c", RedirectURIs: []string{"https://a.example:8443/cb", "http://127.0.0.1:9000/cb"}, Status: auth.ClientApproved}))
	must(t, s.CreateClient(ctx, auth.Client{ID: "d", RedirectURIs: []string{"https://pending.example/cb"}, Status: auth.ClientPending}))
	must(t, s.CreateClient(ctx, auth.Client{ID: "native", RedirectURIs: []string{"com.example.app:/callback"}, Status: auth.ClientApproved}))
	check := func(when string, want map[string]bool) {
		t.Helper()
		for origin, w := range want {
			got, err := s.OriginRegistered(ctx, origin)
			must(t, err)
			if got != w {
				t.Errorf("%s: OriginRegistered(%s) = %v", when, origin, got)
			}
		}
	}
	check("registered", map[string]bool{
		"https://a.example:8443": true, "http://127.0.0.1:9000": true,
		"https://a.example": false, "http://a.example:8443": false,
		"https://pending.example": false, "": false,
	})
	must(t, s.SetClientStatus(ctx, "d", auth.ClientApproved))
	must(t, s.SetClientStatus(ctx, "c", auth.ClientDisabled))
	check("after approval and disabling", map[string]bool{"https://pending.example": true, "https://a.example:8443": false})
}

func testDeleteClient(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	for _, id := range []string{"gone", "kept"} {
		c := fullClient(id)
		must(t, s.CreateClient(ctx, c))
		must(t, s.CreateGrant(ctx, auth.Grant{ID: "g-" + id, ClientID: id, Subject: "u1", CreatedAt: at(0)}))
		must(t, s.CreateRefreshToken(ctx, auth.RefreshToken{Hash: "rt-" + id, GrantID: "g-" + id, ClientID: id, ExpiresAt: at(time.Hour)}))
		must(t, s.CreateCode(ctx, auth.Code{Hash: "code-" + id, GrantID: "g-" + id, ClientID: id, ExpiresAt: at(time.Minute)}))
		must(t, s.CreateLaunch(ctx, auth.Launch{Hash: "l-" + id, ClientID: id, Patient: "p", ExpiresAt: at(time.Minute)}))
	}
	must(t, s.DeleteClient(ctx, "gone"))
	wantKind(t, "second delete", s.DeleteClient(ctx, "gone"), errs.NotFound)

	_, err := s.Client(ctx, "gone")
	wantKind(t, "deleted client", err, errs.NotFound)
	_, err = s.Grant(ctx, "g-gone")
	wantKind(t, "grant of deleted client", err, errs.NotFound)
	_, err = s.RefreshToken(ctx, "rt-gone")
	wantKind(t, "refresh token of deleted client", err, errs.NotFound)
	_, _, err = s.ConsumeCode(ctx, "code-gone", at(0))
	wantKind(t, "code of deleted client", err, errs.NotFound)
	_, err = s.Launch(ctx, "l-gone")
	wantKind(t, "launch of deleted client", err, errs.NotFound)
	if r, err := s.Revoked(ctx, auth.TokenRef{JTI: "j", Grant: "g-gone", ClientID: "gone", IssuedAt: at(0)}); err != nil || !r {
		t.Errorf("a token of the deleted client's grant is not revoked: %v %v", r, err)
	}
	if ok, _ := s.OriginRegistered(ctx, "https://gone.example"); ok {
		t.Error("the deleted client's origin is still registered")
	}

	// The other client keeps everything.
	if _, err := s.Grant(ctx, "g-kept"); err != nil {
		t.Errorf("other client's grant: %v", err)
	}
	if _, err := s.RefreshToken(ctx, "rt-kept"); err != nil {
		t.Errorf("other client's refresh token: %v", err)
	}
	if _, err := s.Launch(ctx, "l-kept"); err != nil {
		t.Errorf("other client's launch: %v", err)
	}
	if r, _ := s.Revoked(ctx, auth.TokenRef{JTI: "j", Grant: "g-kept", ClientID: "kept", IssuedAt: at(0)}); r {
		t.Error("other client's grant counts as revoked")
	}
	if ok, _ := s.OriginRegistered(ctx, "https://kept.example"); !ok {
		t.Error("other client's origin lost")
	}
	list, err := s.Clients(ctx)
	must(t, err)
	if len(list) != 1 || list[0].ID != "kept" {
		t.Errorf("clients after delete: %+v", list)
	}
}

// testDisableClient: disabling a client refuses every access token it
// holds, with a grant or without, and revokes its grants (so their refresh
// tokens stop); enabling it again leaves those tokens dead while tokens
// issued after the enabling work. Other clients are untouched.
func testDisableClient(t *testing.T, s auth.Storage) {
	ctx := t.Context()
	for _, id := range []string{"off", "on"} {
		must(t, s.CreateClient(ctx, auth.Client{ID: id, Status: auth.ClientApproved}))
		must(t, s.CreateGrant(ctx, auth.Grant{ID: "g-" + id, ClientID: id, Subject: "u1", CreatedAt: at(0)}))
	}
	// Tokens from before: at(0) lies before any clock the stores read.
	old := func(client, grant string) auth.TokenRef {
		return auth.TokenRef{JTI: "j-" + client + grant, Grant: grant, ClientID: client, IssuedAt: at(0).Truncate(time.Second)}
	}
	// A token issued long after the enabling, whatever the store's clock.
	later := auth.TokenRef{JTI: "j-new", ClientID: "off", IssuedAt: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	check := func(when string, ref auth.TokenRef, want bool) {
		t.Helper()
		got, err := s.Revoked(ctx, ref)
		must(t, err)
		if got != want {
			t.Errorf("%s: Revoked(%+v) = %v, want %v", when, ref, got, want)
		}
	}
	check("before", old("off", ""), false)
	check("before", old("off", "g-off"), false)

	must(t, s.SetClientStatus(ctx, "off", auth.ClientDisabled))
	check("disabled", old("off", ""), true)
	check("disabled", old("off", "g-off"), true)
	check("disabled, even a later iat", later, true)
	check("other client", old("on", ""), false)
	check("other client", old("on", "g-on"), false)
	if g, err := s.Grant(ctx, "g-off"); err != nil || !g.Revoked() {
		t.Errorf("grant of the disabled client: %+v %v", g, err)
	}

	must(t, s.SetClientStatus(ctx, "off", auth.ClientApproved))
	check("enabled again, old token without grant", old("off", ""), true)
	check("enabled again, old token of the grant", old("off", "g-off"), true)
	check("enabled again, new token", later, false)
	if g, _ := s.Grant(ctx, "g-on"); g.Revoked() {
		t.Error("the other client's grant was revoked")
	}

	must(t, s.DeleteClient(ctx, "on"))
	check("deleted client, token without grant", old("on", ""), true)
}
