package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// signOut posts a sign-out form of the area.
func (b *browser) signOut(home, logout string) {
	b.T.Helper()
	if status, _, _ := b.Post(logout, url.Values{"csrf": {b.CSRF(home)}}); status != http.StatusSeeOther {
		b.T.Fatalf("sign-out at %s: status %d", logout, status)
	}
}

// pageAreas are the two signed-in areas of the pages.
var pageAreas = []struct {
	name, login, user, pass, home, logout, cookie, cookiePath string
}{
	{"admin", "/admin/login", adminUser, adminPass, "/admin/setup", "/admin/logout", "emp_admin", "/admin"},
	{"portal", "/patientlogin.aspx", patientUser, patientPass, "/portal/home", "/portal/logout", "emp_portal", "/portal"},
}

// TestSignOutEndsSession: after a sign-out the old cookie value opens
// nothing, in this browser or in any other it was copied to.
func TestSignOutEndsSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		for _, a := range pageAreas {
			t.Run(a.name, func(t *testing.T) {
				b := s.browser(t)
				b.Login(a.login, a.user, a.pass)
				old := b.Cookie(a.cookiePath+"/", a.cookie)
				if len(old) < 43 {
					t.Fatalf("session cookie %q", old)
				}
				copied := s.browser(t)
				copied.Plant(a.cookie, old, a.cookiePath)
				if status, _, _ := copied.Get(a.home); status != http.StatusOK {
					t.Fatalf("a copy of a live session cookie: status %d", status)
				}
				b.signOut(a.home, a.logout)
				for name, br := range map[string]*browser{"this browser": b, "the copy": copied} {
					br.Plant(a.cookie, old, a.cookiePath)
					if status, _, res := br.Get(a.home); status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), a.login) {
						t.Errorf("%s after sign-out: status %d location %q, want 303 to %s", name, status, res.Header.Get("Location"), a.login)
					}
				}
			})
		}
	})
}

// TestSignOutOnAnotherNode: two servers on one database; a sign-out on node
// A ends the session on node B at once.
func TestSignOutOnAnotherNode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		nodeA := newNode(t, dsn, nil)
		nodeB := newNode(t, dsn, nodeA)
		for _, a := range pageAreas {
			t.Run(a.name, func(t *testing.T) {
				onA := nodeA.browser(t)
				onA.Login(a.login, a.user, a.pass)
				old := onA.Cookie(a.cookiePath+"/", a.cookie)
				onB := nodeB.browser(t)
				onB.Plant(a.cookie, old, a.cookiePath)
				if status, _, _ := onB.Get(a.home); status != http.StatusOK {
					t.Fatalf("node B before the sign-out: status %d, want 200", status)
				}
				onA.signOut(a.home, a.logout)
				if status, _, _ := onB.Get(a.home); status != http.StatusSeeOther {
					t.Errorf("node B after the sign-out on node A: status %d, want 303 to the sign-in", status)
				}
			})
		}
	})
}

// TestPasswordChangeEndsSessions: a new password ends every session of that
// user, and only of that user; the new password signs in.
func TestPasswordChangeEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		ctx := context.Background()
		admin, err := s.Storage.UserByUsername(ctx, adminUser)
		if err != nil {
			t.Fatal(err)
		}
		patient, err := s.Storage.PatientUserByUsername(ctx, patientUser)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			area          int
			kind, id      string
			otherArea     int
			newPass, user string
		}{
			{0, auth.AccountStaff, admin.ID, 1, "a-new-admin-password", adminUser},
			{1, auth.AccountPatient, patient.ID, 0, "a-new-patient-password", patientUser},
		} {
			a, o := pageAreas[tc.area], pageAreas[tc.otherArea]
			t.Run(a.name, func(t *testing.T) {
				b1, b2, other := s.browser(t), s.browser(t), s.browser(t)
				b1.Login(a.login, tc.user, a.pass)
				b2.Login(a.login, tc.user, a.pass)
				other.Login(o.login, o.user, o.pass)
				if err := s.Auth.SetPassword(ctx, tc.kind, tc.id, tc.newPass); err != nil {
					t.Fatal(err)
				}
				for i, b := range []*browser{b1, b2} {
					if status, _, _ := b.Get(a.home); status != http.StatusSeeOther {
						t.Errorf("session %d after the password change: status %d, want 303", i+1, status)
					}
				}
				if status, _, _ := other.Get(o.home); status != http.StatusOK {
					t.Errorf("another user's session after the password change: status %d, want 200", status)
				}
				b1.Login(a.login, tc.user, tc.newPass)
				if status, _, _ := b1.Get(a.home); status != http.StatusOK {
					t.Errorf("with the new password: status %d", status)
				}
				pageAreas[tc.area].pass = tc.newPass
			})
		}
		pageAreas[0].pass, pageAreas[1].pass = adminPass, patientPass
	})
}

// TestSessionAbsoluteTimeout: a session in use still ends MaxSession after
// the sign-in, by the row's times.
func TestSessionAbsoluteTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		for range 12*3 - 1 {
			s.advance(20 * time.Minute)
			if status, _, _ := b.Get("/admin/setup"); status != http.StatusOK {
				t.Fatalf("a session in use ended early: status %d", status)
			}
		}
		s.advance(21 * time.Minute)
		if status, _, _ := b.Get("/admin/setup"); status != http.StatusSeeOther {
			t.Errorf("12 hours after the sign-in: status %d, want 303", status)
		}
	})
}

// TestExpiredSessionsPurged: the purge removes the rows of sessions past
// their timeouts and keeps the live ones.
func TestExpiredSessionsPurged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		old, live := s.browser(t), s.browser(t)
		old.Login("/admin/login", adminUser, adminPass)
		s.advance(31 * time.Minute)
		live.Login("/admin/login", adminUser, adminPass)
		ctx := context.Background()
		if _, err := s.Store.Purge(ctx, time.Now().Add(40*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Storage.Session(ctx, auth.HashSecret(old.Cookie("/admin/", "emp_admin"))); err == nil {
			t.Error("an idle session's row survived the purge")
		}
		if _, err := s.Storage.Session(ctx, auth.HashSecret(live.Cookie("/admin/", "emp_admin"))); err != nil {
			t.Errorf("a live session's row was purged: %v", err)
		}
	})
}

// TestCSRFBoundToSession: a form token fits only the session it was made
// for; with the browser's CSRF cookie planted from elsewhere it fits no
// session either.
func TestCSRFBoundToSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		form := func(csrf string) url.Values {
			return url.Values{"csrf": {csrf}, "password_grant": {"on"}, "app_approval": {"auto"}, "site_address": {s.URL}}
		}
		for _, tc := range []struct {
			name string
			// token returns the token to post and prepares the victim's
			// browser, signed in as the administrator.
			token func(t *testing.T, victim *browser) string
		}{
			{"this browser's token from before signing in again", func(t *testing.T, victim *browser) string {
				tok := victim.CSRF("/admin/setup")
				victim.signOut("/admin/setup", "/admin/logout")
				victim.Login("/admin/login", adminUser, adminPass)
				return tok
			}},
			{"another session's token with its CSRF cookie planted", func(t *testing.T, victim *browser) string {
				attacker := s.browser(t)
				attacker.Login("/admin/login", adminUser, adminPass)
				tok := attacker.CSRF("/admin/setup")
				victim.Plant("emp_csrf", attacker.Cookie("/", "emp_csrf"), "/")
				return tok
			}},
			{"a sign-in form's token with its CSRF cookie planted", func(t *testing.T, victim *browser) string {
				attacker := s.browser(t)
				tok := attacker.CSRF("/register")
				victim.Plant("emp_csrf", attacker.Cookie("/", "emp_csrf"), "/")
				return tok
			}},
			{"the portal session's token", func(t *testing.T, victim *browser) string {
				victim.Login("/patientlogin.aspx", patientUser, patientPass)
				return victim.CSRF("/portal/home")
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				victim := s.browser(t)
				victim.Login("/admin/login", adminUser, adminPass)
				tok := tc.token(t, victim)
				if status, _, _ := victim.Post("/admin/setup", form(tok)); status != http.StatusForbidden {
					t.Errorf("status %d, want 403", status)
				}
				if v, _ := s.Storage.Setting(context.Background(), auth.SettingPasswordGrant); v == "on" {
					t.Fatal("a refused form changed the password grant setting")
				}
				// The session's own token still works.
				if status, _, _ := victim.Post("/admin/setup", form(victim.CSRF("/admin/setup"))); status != http.StatusSeeOther {
					t.Errorf("the session's own token: status %d, want 303", status)
				}
				if err := s.Storage.SetSetting(context.Background(), auth.SettingPasswordGrant, ""); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// The test app: a public SMART app outside emp, registered by the
// operator for online and offline access.
const (
	appCallback = "https://app.example/cb"
	appLaunch   = "https://app.example/launch"
	appScope    = "openid fhirUser launch launch/patient online_access offline_access patient/Patient.rs"
)

func (s *site) registerApp(t *testing.T) string {
	t.Helper()
	reg, err := s.Auth.Register(context.Background(), auth.ClientMetadata{ClientName: "Test App",
		RedirectURIs: []string{appCallback}, InitiateLoginURI: appLaunch, TokenEndpointAuthMethod: auth.AuthNone,
		GrantTypes: []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken}, Scope: appScope}, true)
	if err != nil {
		t.Fatal(err)
	}
	return reg.ClientID
}

// authorize starts an authorization in the browser and returns the PKCE
// verifier and where the authorization server sends the browser.
func (b *browser) authorize(s *site, client, scope, launch string) (string, *url.URL) {
	b.T.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	verifier := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {appCallback}, "scope": {scope},
		"state": {"st"}, "aud": {s.URL + "/fhir/r4"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	if launch != "" {
		q.Set("launch", launch)
	}
	status, _, res := b.Get(strings.TrimPrefix(s.Auth.URLs().Authorize, s.URL) + "?" + q.Encode())
	if status != http.StatusSeeOther {
		b.T.Fatalf("authorize: status %d", status)
	}
	loc, _ := res.Location()
	return verifier, loc
}

// through signs in on the authorization server's page when the flow is
// there, allows everything on the consent page, and returns the code.
func (b *browser) through(loc *url.URL, scope string) string {
	b.T.Helper()
	if loc.Path == "/connect/login" {
		status, _, res := b.Post(loc.RequestURI(), url.Values{"csrf": {b.CSRF(loc.RequestURI())}, "username": {patientUser},
			"password": {patientPass}, "user_role": {auth.AccountPatient}, "action": {"login"}})
		if status != http.StatusSeeOther {
			b.T.Fatalf("sign-in on the authorization server: status %d", status)
		}
		loc, _ = res.Location()
	}
	if loc.Path != "/connect/consent" {
		b.T.Fatalf("the flow went to %s, want the consent page", loc)
	}
	form := url.Values{"csrf": {b.CSRF(loc.RequestURI())}, "decision": {"allow"}, "scope": {"patient/Patient.rs"}}
	if strings.Contains(scope, "offline_access") {
		form.Add("scope", "offline_access")
	}
	status, _, res := b.Post(loc.RequestURI(), form)
	if status != http.StatusSeeOther {
		b.T.Fatalf("consent: status %d", status)
	}
	to, _ := res.Location()
	code := to.Query().Get("code")
	if code == "" {
		b.T.Fatalf("consent went to %s without a code", to)
	}
	return code
}

// tokenCall posts to the token endpoint and returns the status and the
// JSON answer.
func tokenCall(t *testing.T, s *site, form url.Values) (int, map[string]any) {
	t.Helper()
	res, err := http.PostForm(s.Auth.URLs().Token, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestOnlineAccess: online_access gives a refresh token that works while
// the user's sign-in session lives (this server's own, or the portal's for
// a launch from the portal) and is invalid_grant once it ends;
// offline_access keeps working after the sign-out.
func TestOnlineAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		client := s.registerApp(t)
		_, conf, _ := s.browser(t).Get("/.well-known/smart-configuration")
		if !strings.Contains(conf, `"permission-online"`) || !strings.Contains(conf, `"online_access"`) {
			t.Error("the SMART configuration does not offer online_access")
		}
		for _, tc := range []struct {
			name    string
			scope   string
			portal  bool // launched from the portal (the hand-off) instead of signing in on the authorization server
			end     func(t *testing.T, b *browser, idToken string)
			refresh int // the refresh's status after the end
		}{
			{"online, signed out at the authorization server", "openid online_access patient/Patient.rs launch/patient", false,
				func(t *testing.T, b *browser, idToken string) {
					signIn := b.Cookie("/connect/", "emp_auth")
					if _, err := s.Storage.Session(context.Background(), auth.HashSecret(signIn)); err != nil {
						t.Fatalf("no sign-in session before the logout: %v", err)
					}
					if status, _, _ := b.Get(strings.TrimPrefix(s.Auth.URLs().Logout, s.URL) + "?id_token_hint=" + url.QueryEscape(idToken)); status != http.StatusOK {
						t.Fatalf("logout: status %d", status)
					}
					if _, err := s.Storage.Session(context.Background(), auth.HashSecret(signIn)); err == nil {
						t.Error("the sign-in session outlived the logout")
					}
				}, http.StatusBadRequest},
			{"online, sign-in session timed out", "openid online_access patient/Patient.rs launch/patient", false,
				func(t *testing.T, b *browser, idToken string) { s.advance(2 * time.Hour) }, http.StatusBadRequest},
			{"online from the portal, portal sign-out", "openid launch online_access patient/Patient.rs", true,
				func(t *testing.T, b *browser, idToken string) { b.signOut("/portal/home", "/portal/logout") }, http.StatusBadRequest},
			{"online, the user's password changed", "openid online_access patient/Patient.rs launch/patient", false,
				func(t *testing.T, b *browser, idToken string) {
					u, err := s.Storage.PatientUserByUsername(context.Background(), patientUser)
					if err != nil {
						t.Fatal(err)
					}
					if err := s.Auth.SetPassword(context.Background(), auth.AccountPatient, u.ID, patientPass); err != nil {
						t.Fatal(err)
					}
				}, http.StatusBadRequest},
			{"offline, sign-in session timed out", "openid offline_access patient/Patient.rs launch/patient", false,
				func(t *testing.T, b *browser, idToken string) { s.advance(2 * time.Hour) }, http.StatusOK},
			{"offline from the portal, portal sign-out", "openid launch offline_access patient/Patient.rs", true,
				func(t *testing.T, b *browser, idToken string) { b.signOut("/portal/home", "/portal/logout") }, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := s.browser(t)
				launch := ""
				if tc.portal {
					b.Login("/patientlogin.aspx", patientUser, patientPass)
					status, _, res := b.Post("/portal/launch", url.Values{"csrf": {b.CSRF("/portal/home")}, "client_id": {client}})
					if status != http.StatusSeeOther {
						t.Fatalf("portal launch: status %d", status)
					}
					to, _ := res.Location()
					launch = to.Query().Get("launch")
				}
				verifier, loc := b.authorize(s, client, tc.scope, launch)
				if tc.portal && loc.Path != "/connect/consent" {
					t.Fatalf("a launch from the portal went to %s, want consent", loc.Path)
				}
				code := b.through(loc, tc.scope)
				status, tok := tokenCall(t, s, url.Values{"grant_type": {"authorization_code"}, "code": {code},
					"redirect_uri": {appCallback}, "client_id": {client}, "code_verifier": {verifier}})
				rt, _ := tok["refresh_token"].(string)
				if status != http.StatusOK || rt == "" {
					t.Fatalf("code exchange: status %d, refresh token %q, scope %v", status, rt, tok["scope"])
				}
				status, tok = tokenCall(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {client}})
				if status != http.StatusOK {
					t.Fatalf("refresh while signed in: status %d %v", status, tok)
				}
				rt, _ = tok["refresh_token"].(string)
				idToken, _ := tok["id_token"].(string)
				tc.end(t, b, idToken)
				status, tok = tokenCall(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {client}})
				if status != tc.refresh {
					t.Errorf("refresh after the end: status %d %v, want %d", status, tok, tc.refresh)
				}
				if tc.refresh == http.StatusBadRequest && tok["error"] != "invalid_grant" {
					t.Errorf("refresh after the end: error %v, want invalid_grant", tok["error"])
				}
			})
		}
	})
}

// TestSSOEndsAtPortalSignOut: the portal's hand-off cookie is cleared at
// the portal sign-out, and a copy of its value no longer skips the
// password.
func TestSSOEndsAtPortalSignOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		client := s.registerApp(t)
		const scope = "openid launch/patient patient/Patient.rs"
		b := s.browser(t)
		b.Login("/patientlogin.aspx", patientUser, patientPass)
		if status, _, _ := b.Post("/portal/launch", url.Values{"csrf": {b.CSRF("/portal/home")}, "client_id": {client}}); status != http.StatusSeeOther {
			t.Fatalf("portal launch: status %d", status)
		}
		sso := b.Cookie("/connect/", "emp_sso")
		if sso == "" {
			t.Fatal("the portal launch set no hand-off cookie")
		}
		if _, loc := b.authorize(s, client, scope, ""); loc.Path != "/connect/consent" {
			t.Fatalf("with the hand-off the flow went to %s, want consent", loc.Path)
		}
		status, _, res := b.Post("/portal/logout", url.Values{"csrf": {b.CSRF("/portal/home")}})
		if status != http.StatusSeeOther {
			t.Fatalf("portal sign-out: status %d", status)
		}
		cleared := false
		for _, c := range res.Cookies() {
			if c.Name == "emp_sso" && c.MaxAge < 0 && c.Path == "/" {
				cleared = true
			}
		}
		if !cleared {
			t.Error("the portal sign-out did not clear the hand-off cookie on its path")
		}
		for _, tc := range []struct {
			name string
			b    *browser
		}{{"the same browser", b}, {"a copy of the cookie", s.browser(t)}} {
			t.Run(tc.name, func(t *testing.T) {
				tc.b.Plant("emp_sso", sso, "/")
				if _, loc := tc.b.authorize(s, client, scope, ""); loc.Path != "/connect/login" {
					t.Errorf("after the portal sign-out the old hand-off went to %s, want the sign-in page", loc.Path)
				}
			})
		}
	})
}

// TestSignInsAudited: sign-ins, failed sign-ins and sign-outs of the admin
// pages, the portal and the authorization server's login page are audit
// rows, shown on the API log page.
func TestSignInsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		client := s.registerApp(t)
		ctx := context.Background()
		for _, a := range pageAreas {
			b := s.browser(t)
			b.Post(a.login, url.Values{"csrf": {b.CSRF(a.login)}, "username": {a.user}, "password": {"wrong-password"}})
			b.Login(a.login, a.user, a.pass)
			b.signOut(a.home, a.logout)
		}
		b := s.browser(t)
		verifier, loc := b.authorize(s, client, "openid patient/Patient.rs launch/patient", "")
		b.Post(loc.RequestURI(), url.Values{"csrf": {b.CSRF(loc.RequestURI())}, "username": {patientUser},
			"password": {"wrong-password"}, "user_role": {auth.AccountPatient}, "action": {"login"}})
		code := b.through(loc, "")
		_, tok := tokenCall(t, s, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {appCallback}, "client_id": {client}, "code_verifier": {verifier}})
		idToken, _ := tok["id_token"].(string)
		b.Get(strings.TrimPrefix(s.Auth.URLs().Logout, s.URL) + "?id_token_hint=" + url.QueryEscape(idToken))

		s.Store.FlushAudit()
		for _, tc := range []struct{ path, action string }{
			{"/admin/login", "sign-in-failed"}, {"/admin/login", "sign-in"}, {"/admin/logout", "sign-out"},
			{"/patientlogin.aspx", "sign-in-failed"}, {"/patientlogin.aspx", "sign-in"}, {"/portal/logout", "sign-out"},
			{"/connect/login", "sign-in-failed"}, {"/connect/login", "sign-in"}, {"/authorize/logout", "sign-out"},
		} {
			evs, err := s.Store.ListAudit(ctx, store.AuditFilter{PathPrefix: tc.path, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, ev := range evs {
				if ev.Action == tc.action && ev.Path == tc.path {
					found = true
					if tc.action != "sign-in-failed" && ev.Actor == "" {
						t.Errorf("%s %s has no actor", tc.path, tc.action)
					}
				}
			}
			if !found {
				t.Errorf("no %s row for %s", tc.action, tc.path)
			}
		}
		admin := s.browser(t)
		admin.Login("/admin/login", adminUser, adminPass)
		_, body, _ := admin.Get("/admin/apilog?path=%2Fconnect%2Flogin")
		if !strings.Contains(body, "sign-in-failed") {
			t.Error("the API log page does not show the failed sign-in")
		}
	})
}
