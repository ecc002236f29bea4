package server_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// openNodeServer starts one more whole server over the database dsn names,
// as another emp node would, on the clock given. Nodes of one site share
// its public base URL (the issuer of the tokens): base, or this node's own
// address when empty.
func openNodeServer(t *testing.T, dsn, base string, now func() time.Time) *testServer {
	t.Helper()
	return wrap(t, testenv.StartDSN(t, dsn, func(c *server.Config) {
		if base != "" {
			c.BaseURL = base
		}
		c.Passwords, c.Now = auth.PBKDF2{Iterations: 1000}, now
	}))
}

// mintFor signs a token named for a client, as `emp token --client` does:
// a token without a grant, which only the client's revocation can stop.
func (ts *testServer) mintFor(clientID, scope, patient string) string {
	ts.t.Helper()
	tok, err := ts.app.MintToken(context.Background(), server.TokenRequest{Subject: "tester", ClientID: clientID, Scope: scope, Patient: patient, TTL: time.Hour})
	if err != nil {
		ts.t.Fatal(err)
	}
	return tok
}

// TestDisabledClientTokensRefused: the tokens a client holds work; the
// client is disabled through the code the admin page and `emp client
// disable` share; then every one of them is 401 on the FHIR face, the JSON
// API and the portal API, on this node and on a second node over the same
// database, and its refresh token is refused. Enabling it again leaves them
// dead while new tokens work. The disabling is in the audit log with who did
// it.
func TestDisabledClientTokensRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		clk := storetest.NewClock(time.Now().Truncate(time.Second))
		dsn := storetest.DSN(t, dialect)
		ts := openNodeServer(t, dsn, "", clk.Now)
		other := openNodeServer(t, dsn, ts.app.BaseURL, clk.Now)
		for _, k := range []string{server.SettingStandardAPI, server.SettingPortalAPI} {
			if err := ts.app.Store.SetSetting(ctx, k, "on"); err != nil {
				t.Fatal(err)
			}
		}

		// An app's token from the code flow (with a grant and a refresh
		// token), and tokens named for the same app on the other faces.
		l := startLaunch(t, ts, nil)
		codeTokens := l.tokens(t)
		appToken, refresh := codeTokens["access_token"].(string), codeTokens["refresh_token"].(string)
		apiToken := ts.mintFor(l.clientID, "api:oemr user/patient.read", "")
		portalToken := ts.mintFor(l.clientID, "api:port patient/patient.read", "pat-a")
		// A backend service's client-credentials token (no grant).
		backendID, assertion := ts.backendClient("system/Patient.rs")
		backendToken := func() string {
			t.Helper()
			r := ts.form("/connect/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion()}})
			if r.status != 200 {
				t.Fatalf("client credentials: %d %s", r.status, r.body)
			}
			return r.json(t)["access_token"].(string)
		}
		backend := backendToken()

		calls := []struct{ name, path, token string }{
			{"app token on /fhir/r4", "/fhir/r4/Patient/pat-a", appToken},
			{"app's token on /api/", "/api/patient", apiToken},
			{"app's token on /portal/", "/portal/patient", portalToken},
			{"backend token on /fhir/r4", "/fhir/r4/Patient?_count=1", backend},
		}
		check := func(when string, want int) {
			t.Helper()
			for _, node := range []struct {
				name string
				ts   *testServer
			}{{"node 1", ts}, {"node 2", other}} {
				for _, c := range calls {
					if r := node.ts.do("GET", c.path, c.token, ""); r.status != want {
						t.Errorf("%s, %s, %s: %d (%s), want %d", when, node.name, c.name, r.status, r.body, want)
					}
				}
			}
		}
		check("before disabling", 200)

		// What the admin page and `emp client disable` both call.
		admin := store.WithRequest(ctx, store.RequestInfo{Actor: "admin-user-1", Role: "admin"})
		for _, id := range []string{l.clientID, backendID} {
			if err := ts.app.Store.SetClientStatus(admin, id, auth.ClientDisabled); err != nil {
				t.Fatal(err)
			}
		}
		// Node 2 trusts the revocation epoch it read for a moment (the
		// revocation window); past it, it sees the change.
		clk.Advance(time.Second)
		check("after disabling", 401)
		r := ts.form("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {l.clientID}})
		if r.status != 400 && r.status != 401 {
			t.Errorf("refresh token of the disabled client: %d %s", r.status, r.body)
		}

		rows, err := ts.app.Store.ListAudit(ctx, store.AuditFilter{Actor: "admin-user-1"})
		if err != nil {
			t.Fatal(err)
		}
		disabled := map[string]bool{}
		for _, ev := range rows {
			if ev.Action == "client-disable" {
				disabled[ev.ResID] = true
			}
		}
		if !disabled[l.clientID] || !disabled[backendID] {
			t.Errorf("audit rows of the disabling by admin-user-1: %+v", rows)
		}

		// Enabling again does not bring the old tokens back. Token times
		// are whole seconds: the new ones are issued a second later.
		for _, id := range []string{l.clientID, backendID} {
			if err := ts.app.Store.SetClientStatus(admin, id, auth.ClientApproved); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(time.Second)
		check("enabled again, old tokens", 401)
		r = ts.form("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {l.clientID}})
		if r.status != 400 && r.status != 401 {
			t.Errorf("refresh token after enabling again: %d %s", r.status, r.body)
		}
		calls = []struct{ name, path, token string }{
			{"new app token on /api/", "/api/patient", ts.mintFor(l.clientID, "api:oemr user/patient.read", "")},
			{"new backend token on /fhir/r4", "/fhir/r4/Patient?_count=1", backendToken()},
		}
		check("enabled again, new tokens", 200)
	})
}

// TestThrottleSharedByNodes: failed sign-ins and failed client
// authentications on one node delay the same account and client on another
// node over the same database; the delay ends on both at once, and the
// right password then works.
func TestThrottleSharedByNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		clk := storetest.NewClock(time.Now().Truncate(time.Second))
		dsn := storetest.DSN(t, dialect)
		one := openNodeServer(t, dsn, "", clk.Now)
		two := openNodeServer(t, dsn, one.app.BaseURL, clk.Now)
		if err := one.app.Store.SetSetting(ctx, auth.SettingPasswordGrant, "on"); err != nil {
			t.Fatal(err)
		}
		one.seedPatient("pat-a")
		one.addPatientUser("amy", "pat-a")
		app := one.publicApp("openid patient/Patient.rs")
		conf := one.register(auth.ClientMetadata{ClientName: "Billing", RedirectURIs: []string{appRedirect},
			TokenEndpointAuthMethod: auth.AuthClientSecretPost, Scope: "openid user/Patient.rs"})

		signIn := func(ts *testServer, password string) response {
			return ts.form("/connect/token", url.Values{"grant_type": {"password"}, "client_id": {app}, "username": {"amy"},
				"password": {password}, "user_role": {auth.AccountPatient}, "scope": {"openid patient/Patient.rs"}})
		}
		clientAuth := func(ts *testServer, secret string) response {
			return ts.form("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"},
				"redirect_uri": {appRedirect}, "client_id": {conf.ClientID}, "client_secret": {secret}})
		}
		cases := []struct {
			name              string
			free              int
			try               func(ts *testServer, right bool) response
			failed, succeeded int // statuses
		}{
			{"sign-in", loginthrottle.PolicyOf(loginthrottle.ClassAccount).Free, func(ts *testServer, right bool) response {
				if right {
					return signIn(ts, userPass)
				}
				return signIn(ts, "wrong password")
			}, 400, 200},
			{"client authentication", loginthrottle.PolicyOf(loginthrottle.ClassClient).Free, func(ts *testServer, right bool) response {
				if right {
					return clientAuth(ts, conf.ClientSecret)
				}
				return clientAuth(ts, "wrong secret")
			}, 401, 400},
		}
		for _, c := range cases {
			// Failures alternate between the nodes; past the free ones the
			// delay is 1 s, then 2 s: both nodes make the next attempt wait.
			for i := range c.free + 2 {
				if i > c.free {
					clk.Advance(time.Second)
				}
				if r := c.try([]*testServer{one, two}[i%2], false); r.status != c.failed {
					t.Fatalf("%s: failure %d: %d %s", c.name, i+1, r.status, r.body)
				}
			}
			for _, ts := range []*testServer{one, two} {
				if r := c.try(ts, true); r.status != 429 || r.header.Get("Retry-After") != "2" {
					t.Errorf("%s: right credentials during the delay: %d (Retry-After %q) %s", c.name, r.status, r.header.Get("Retry-After"), r.body)
				}
			}
			clk.Advance(2 * time.Second)
			if r := c.try(two, true); r.status != c.succeeded {
				t.Errorf("%s: right credentials after the delay: %d %s", c.name, r.status, r.body)
			}
		}
	})
}
