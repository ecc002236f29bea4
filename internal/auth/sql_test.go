package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// tokenCall posts a form to the token endpoint with the client's basic
// credentials and decodes the JSON answer.
func tokenCall(t *testing.T, base, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("token endpoint answered %d without JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// The authorization server over the SQL storage, through HTTP: a password
// grant, a refresh that rotates, and the reuse of the rotated token, which
// revokes the grant so that its access tokens fail at the gate at once.
func TestServerOverSQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
		as := storetest.Open(t, dialect, store.Options{Now: now})
		// The issuer is the test server's URL, known only once it listens;
		// the handler is set after.
		var handler atomic.Pointer[auth.Server]
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.Load().ServeHTTP(w, r) }))
		t.Cleanup(ts.Close)
		srv, err := auth.New(auth.Config{
			Storage: as, Keys: authz.NewKeyRing(as, now, nil),
			Revocation: authz.NewRevocationCache(as, authz.RevocationCacheOptions{Now: now}),
			Issuer:     ts.URL, FHIRBase: ts.URL + "/fhir/r4", Now: now,
			Passwords: auth.PBKDF2{Iterations: 1000},
		})
		if err != nil {
			t.Fatal(err)
		}
		handler.Store(srv)

		if err := as.SetSetting(ctx, auth.SettingPasswordGrant, "on"); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.AddUser(ctx, auth.NewUser{Username: "drjones", Password: "correct horse", Role: authz.RoleClinician, Practitioner: "prac-9"}); err != nil {
			t.Fatal(err)
		}
		reg, err := srv.Register(ctx, auth.ClientMetadata{ClientName: "Clinic App", RedirectURIs: []string{"https://app.example/cb"},
			TokenEndpointAuthMethod: auth.AuthClientSecretBasic, Scope: "openid fhirUser offline_access user/Patient.rs"}, true)
		if err != nil {
			t.Fatal(err)
		}
		id, secret := reg.ClientID, reg.ClientSecret

		status, first := tokenCall(t, ts.URL, id, secret, url.Values{"grant_type": {"password"}, "username": {"drjones"},
			"password": {"correct horse"}, "user_role": {"users"}, "scope": {"openid fhirUser offline_access user/Patient.rs"}})
		if status != 200 || first["refresh_token"] == nil {
			t.Fatalf("password grant: %d %v", status, first)
		}
		access, _ := first["access_token"].(string)
		p, err := srv.Verifier().Verify(ctx, access)
		if err != nil || p.FHIRUser != "Practitioner/prac-9" {
			t.Fatalf("fresh access token: %v %+v", err, p)
		}
		grants, err := as.GrantsBySubject(ctx, p.Subject)
		if err != nil || len(grants) != 1 || grants[0].ClientID != id || grants[0].LastUsedAt.IsZero() {
			t.Errorf("the user's grants: %v %+v", err, grants)
		}

		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}}
		status, second := tokenCall(t, ts.URL, id, secret, refresh)
		if status != 200 || second["refresh_token"] == nil || second["refresh_token"] == first["refresh_token"] {
			t.Fatalf("refresh: %d %v", status, second)
		}
		status, reuse := tokenCall(t, ts.URL, id, secret, refresh)
		if status != 400 || reuse["error"] != "invalid_grant" {
			t.Errorf("reused refresh token: %d %v", status, reuse)
		}
		if _, err := srv.Verifier().Verify(ctx, access); err == nil {
			t.Error("an access token of the revoked grant still verifies")
		}
		status, after := tokenCall(t, ts.URL, id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second["refresh_token"].(string)}})
		if status != 400 {
			t.Errorf("the rotated-to token works after the grant was revoked: %d %v", status, after)
		}
	})
}
