package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestSignedOut: every page behind a sign-in sends a GET to the right
// sign-in page and refuses anything else with 401, changing nothing.
func TestSignedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		csrf := b.CSRF("/register") // a valid token: only the session is missing
		for _, tc := range []struct {
			method, path string
			status       int
			location     string
		}{
			{"GET", "/admin/setup", http.StatusSeeOther, "/admin/login?next=%2Fadmin%2Fsetup"},
			{"GET", "/admin/clients", http.StatusSeeOther, "/admin/login?next=%2Fadmin%2Fclients"},
			{"GET", "/admin/apilog?user=x", http.StatusSeeOther, "/admin/login?next=%2Fadmin%2Fapilog%3Fuser%3Dx"},
			{"GET", "/admin/users", http.StatusSeeOther, "/admin/login?next=%2Fadmin%2Fusers"},
			{"POST", "/admin/setup", http.StatusUnauthorized, ""},
			{"POST", "/admin/clients/" + s.DemoApp + "/disable", http.StatusUnauthorized, ""},
			{"POST", "/admin/users", http.StatusUnauthorized, ""},
			{"GET", "/portal/home", http.StatusSeeOther, "/patientlogin.aspx?next=%2Fportal%2Fhome"},
			{"GET", "/portal/apps", http.StatusSeeOther, "/patientlogin.aspx?next=%2Fportal%2Fapps"},
			{"POST", "/portal/launch", http.StatusUnauthorized, ""},
			{"POST", "/portal/apps/revoke", http.StatusUnauthorized, ""},
		} {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				var status int
				var res *http.Response
				if tc.method == "GET" {
					status, _, res = b.Get(tc.path)
				} else {
					status, _, res = b.Post(tc.path, url.Values{"csrf": {csrf}, "password_grant": {"on"},
						"app_approval": {"auto"}, "site_address": {s.URL}, "client_id": {s.DemoApp}})
				}
				if status != tc.status || res.Header.Get("Location") != tc.location {
					t.Errorf("status %d location %q, want %d %q", status, res.Header.Get("Location"), tc.status, tc.location)
				}
			})
		}
		if c, _ := s.Storage.Client(context.Background(), s.DemoApp); c.Status != auth.ClientApproved {
			t.Errorf("a signed-out POST changed the demo client to %s", c.Status)
		}
		if _, err := s.Storage.Setting(context.Background(), auth.SettingPasswordGrant); err == nil {
			t.Error("a signed-out POST changed the password grant setting")
		}
	})
}

// TestNotAdmin: a clinician cannot sign in to the administration, and a
// patient's portal session opens nothing there.
func TestNotAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		status, body, _ := b.Post("/admin/login", url.Values{"csrf": {b.CSRF("/admin/login")}, "username": {clinUser}, "password": {clinPass}})
		if status != http.StatusForbidden || !strings.Contains(body, "not an administrator") {
			t.Errorf("clinician sign-in: status %d", status)
		}
		if status, _, _ := b.Get("/admin/setup"); status != http.StatusSeeOther {
			t.Errorf("clinician after refused sign-in: /admin/setup status %d, want 303 to the sign-in", status)
		}
		b.Login("/patientlogin.aspx", patientUser, patientPass)
		if status, _, _ := b.Get("/admin/clients"); status != http.StatusSeeOther {
			t.Errorf("patient: /admin/clients status %d, want 303 to the sign-in", status)
		}
		for _, tc := range []struct{ user, pass string }{{adminUser, "wrong-password"}, {"nobody", adminPass}, {adminUser, ""}} {
			status, body, _ := b.Post("/admin/login", url.Values{"csrf": {b.CSRF("/admin/login")}, "username": {tc.user}, "password": {tc.pass}})
			if status != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") {
				t.Errorf("sign-in %s/%q: status %d", tc.user, tc.pass, status)
			}
		}
		// An admin's username at the portal is not a patient.
		status, _, _ = b.Post("/patientlogin.aspx", url.Values{"csrf": {b.CSRF("/patientlogin.aspx")}, "username": {adminUser}, "password": {adminPass}})
		if status != http.StatusUnauthorized {
			t.Errorf("admin at the portal sign-in: status %d, want 401", status)
		}
	})
}

// TestCSRF: a form without the page's token, with another browser's token
// or from another origin is refused and changes nothing.
func TestCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		other := s.browser(t).CSRF("/register")
		form := func(csrf string) url.Values {
			return url.Values{"csrf": {csrf}, "password_grant": {"on"}, "app_approval": {"auto"}, "site_address": {s.URL}}
		}
		for _, tc := range []struct {
			name string
			do   func() int
		}{
			{"no token", func() int { st, _, _ := b.Post("/admin/setup", form("")); return st }},
			{"garbage token", func() int { st, _, _ := b.Post("/admin/setup", form("not-a-token")); return st }},
			{"another browser's token", func() int { st, _, _ := b.Post("/admin/setup", form(other)); return st }},
			{"cross-origin", func() int {
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/setup", strings.NewReader(form(b.CSRF("/admin/setup")).Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				req.Header.Set("Origin", "https://evil.example")
				res, err := b.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}},
			{"registration without token", func() int {
				st, _, _ := b.Post("/register", url.Values{"client_name": {"x"}, "type": {"public"}, "scope": {"patient/*.rs"},
					"redirect_uris": {"https://app.example/cb"}})
				return st
			}},
			{"portal login without token", func() int {
				st, _, _ := b.Post("/patientlogin.aspx", url.Values{"username": {patientUser}, "password": {patientPass}})
				return st
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if st := tc.do(); st != http.StatusForbidden {
					t.Errorf("status %d, want 403", st)
				}
			})
		}
		if _, err := s.Storage.Setting(context.Background(), auth.SettingPasswordGrant); err == nil {
			t.Error("a refused form changed the password grant setting")
		}
		if cs, _ := s.Storage.Clients(context.Background()); len(cs) != s.Clients {
			t.Errorf("a refused registration stored a client: %d clients, %d at the start", len(cs), s.Clients)
		}
	})
}

// TestAdminBadInput: each bad field gets a 400 naming it, and nothing is
// written.
func TestAdminBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		good := func() url.Values {
			return url.Values{"password_grant": {"on"}, "app_approval": {"manual"}, "site_address": {"https://ehr.example.org"}}
		}
		for _, tc := range []struct {
			name, field, value, want string
		}{
			{"site address not https", "site_address", "http://ehr.example.org", "Site address"},
			{"site address not a URL", "site_address", "ehr example", "Site address"},
			{"site address with a query", "site_address", "https://ehr.example.org/?a=1", "Site address"},
			{"approval unknown", "app_approval", "sometimes", "app_approval"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := good()
				f.Set(tc.field, tc.value)
				f.Set("csrf", b.CSRF("/admin/setup"))
				status, body, _ := b.Post("/admin/setup", f)
				if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
					t.Errorf("status %d, want 400 naming %s", status, tc.want)
				}
			})
		}
		for _, key := range []string{auth.SettingPasswordGrant, auth.SettingAppApproval, "api_log", "site_address"} {
			if v, err := s.Storage.Setting(context.Background(), key); err == nil {
				t.Errorf("a refused form wrote %s=%s", key, v)
			}
		}
		for _, tc := range []struct {
			name, path string
			form       url.Values
			status     int
			want       string
		}{
			{"unknown client", "/admin/clients/nope/approve", nil, http.StatusNotFound, "no such client"},
			{"unknown action", "/admin/clients/" + s.DemoApp + "/promote", nil, http.StatusBadRequest, "Unknown action"},
			{"rotate a public client", "/admin/clients/" + s.DemoApp + "/rotate", nil, http.StatusBadRequest, "has one to rotate"},
			{"user with a bad role", "/admin/users", url.Values{"form": {"staff"}, "username": {"x"}, "password": {"long-enough"}, "role": {"king"}}, http.StatusBadRequest, "role"},
			{"user with a short password", "/admin/users", url.Values{"form": {"staff"}, "username": {"x"}, "password": {"short"}, "role": {"clinician"}}, http.StatusBadRequest, "password"},
			{"user taken", "/admin/users", url.Values{"form": {"staff"}, "username": {adminUser}, "password": {"long-enough"}, "role": {"clinician"}}, http.StatusConflict, "taken"},
			{"portal user for no patient", "/admin/users", url.Values{"form": {"patient"}, "username": {"y"}, "password": {"long-enough"}, "patient": {"nobody"}}, http.StatusBadRequest, "no patient"},
			{"unknown form", "/admin/users", url.Values{"form": {"robot"}}, http.StatusBadRequest, "Unknown form"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.form
				if f == nil {
					f = url.Values{}
				}
				f.Set("csrf", b.CSRF("/admin/clients"))
				status, body, _ := b.Post(tc.path, f)
				if status != tc.status || !strings.Contains(body, tc.want) {
					t.Errorf("status %d, want %d with %q", status, tc.status, tc.want)
				}
			})
		}
		if _, err := s.Storage.UserByUsername(context.Background(), "x"); err == nil {
			t.Error("a refused form added a user")
		}
		for _, tc := range []struct{ query, field string }{
			{"status=abc", "status"}, {"since=yesterday", "since"}, {"before=-3", "before"},
		} {
			status, body, _ := b.Get("/admin/apilog?" + tc.query)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.field) {
				t.Errorf("apilog ?%s: status %d, want 400 naming %s", tc.query, status, tc.field)
			}
		}
	})
}

// TestRegistrationBadInput: the form's own checks and the authorization
// server's registration rules both answer 400 with the reason, and store
// nothing.
func TestRegistrationBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		good := func() url.Values {
			return url.Values{"client_name": {"Good app"}, "type": {"public"}, "redirect_uris": {"https://app.example/cb"},
				"scope": {"openid", "patient/*.rs"}}
		}
		for _, tc := range []struct {
			name, field, value, want string
		}{
			{"no name", "client_name", "  ", "client_name"},
			{"no type", "type", "", "type"},
			{"no scope", "scope", "", "scope"},
			{"http redirect", "redirect_uris", "http://app.example/cb", "redirect_uri"},
			{"fragment in redirect", "redirect_uris", "https://app.example/cb#x", "fragment"},
			{"bad email", "contact", "not an email", "contact"},
			{"public with keys", "jwks", `{"keys":[]}`, "public app has no keys"},
			{"public with user scopes", "scope", "user/*.rs", "public client may not hold user/"},
			{"http launch URI", "launch_uri", "http://app.example/launch", "initiate_login_uri"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := good()
				f.Set(tc.field, tc.value)
				if tc.field == "scope" && tc.value == "" {
					f.Del("scope")
				}
				f.Set("csrf", b.CSRF("/register"))
				status, body, _ := b.Post("/register", f)
				if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
					t.Errorf("status %d, want 400 with %q", status, tc.want)
				}
				if !strings.Contains(body, `value="Good app"`) && tc.field != "client_name" {
					t.Error("the form did not keep what was typed")
				}
			})
		}
		if cs, _ := s.Storage.Clients(context.Background()); len(cs) != s.Clients {
			t.Errorf("refused registrations stored clients: %d, %d at the start", len(cs), s.Clients)
		}
	})
}

// TestRegistrationApproval: a patient standalone app is ready at once; one
// asking for an EHR launch waits until an administrator approves it, and
// a confidential one sees its secret once.
func TestRegistrationApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		for _, tc := range []struct {
			name   string
			form   url.Values
			status auth.ClientStatus
			secret bool
		}{
			{"patient standalone", url.Values{"type": {"public"}, "scope": {"launch/patient", "patient/*.rs"}}, auth.ClientApproved, false},
			{"EHR launch", url.Values{"type": {"public"}, "scope": {"launch", "patient/*.rs"}, "launch_uri": {"https://app.example/launch"}}, auth.ClientPending, false},
			{"confidential clinician app", url.Values{"type": {"confidential"}, "scope": {"user/*.rs"}}, auth.ClientPending, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.form
				f.Set("client_name", tc.name)
				f.Set("redirect_uris", "https://app.example/cb")
				f.Set("contact", "dev@app.example")
				f.Set("csrf", b.CSRF("/admin/fhirclientregistration.aspx"))
				status, body, _ := b.Post("/admin/fhirclientregistration.aspx", f)
				if status != http.StatusCreated {
					t.Fatalf("status %d", status)
				}
				if !strings.Contains(body, `id="client-status">`+string(tc.status)) {
					t.Errorf("page does not show status %s", tc.status)
				}
				if got := strings.Contains(body, `id="client-secret"`); got != tc.secret {
					t.Errorf("secret shown %v, want %v", got, tc.secret)
				}
			})
		}
	})
}

// TestPortalBadInput: the portal refuses to launch an app that is not
// launchable and to revoke a grant that is not the patient's.
func TestPortalBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		ctx := context.Background()
		reg, err := s.Auth.Register(ctx, auth.ClientMetadata{ClientName: "Standalone only", RedirectURIs: []string{"https://app.example/cb"},
			TokenEndpointAuthMethod: auth.AuthNone, Scope: "launch/patient patient/*.rs"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Storage.CreateGrant(ctx, auth.Grant{ID: "someone-elses", ClientID: s.DemoApp, Subject: "other-user",
			Role: "patient", Patient: "other", Scope: "patient/*.rs", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		b := s.browser(t)
		b.Login("/patientlogin.aspx", patientUser, patientPass)
		for _, tc := range []struct {
			name, path string
			form       url.Values
			status     int
		}{
			{"unknown app", "/portal/launch", url.Values{"client_id": {"nope"}}, http.StatusBadRequest},
			{"app without EHR launch", "/portal/launch", url.Values{"client_id": {reg.ClientID}}, http.StatusBadRequest},
			{"no app", "/portal/launch", url.Values{}, http.StatusBadRequest},
			{"unknown grant", "/portal/apps/revoke", url.Values{"grant": {"nope"}}, http.StatusNotFound},
			{"another patient's grant", "/portal/apps/revoke", url.Values{"grant": {"someone-elses"}}, http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.form.Set("csrf", b.CSRF("/portal/home"))
				if status, _, _ := b.Post(tc.path, tc.form); status != tc.status {
					t.Errorf("status %d, want %d", status, tc.status)
				}
			})
		}
		if g, _ := s.Storage.Grant(ctx, "someone-elses"); g.Revoked() {
			t.Error("the portal revoked another patient's grant")
		}
	})
}

// TestPageHeaders: pages are not cached, not framed, and run no script.
func TestPageHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/patientlogin.aspx", patientUser, patientPass)
		for _, path := range []string{"/portal/home", "/portal/apps", "/register", "/admin/login"} {
			status, body, res := b.Get(path)
			h := res.Header
			if status != http.StatusOK || h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
				strings.Contains(h.Get("Content-Security-Policy"), "script-src") || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: status %d, headers %v", path, status, h)
			}
			if strings.Contains(body, "<script") {
				t.Errorf("%s has a script", path)
			}
		}
		for _, c := range b.Client.Jar.Cookies(mustURL(t, s.URL+"/portal/home")) {
			if c.Name == "emp_portal" && c.Value == "" {
				t.Error("empty session cookie")
			}
		}
	})
}

// TestSessionTimeout: a session unused for longer than the idle timeout is
// over; one in use is renewed.
func TestSessionTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/admin/login", adminUser, adminPass)
		s.advance(20 * time.Minute)
		if status, _, _ := b.Get("/admin/setup"); status != http.StatusOK {
			t.Fatalf("after 20 idle minutes: status %d, want 200", status)
		}
		s.advance(20 * time.Minute) // 40 minutes after sign-in, 20 after the last page
		if status, _, _ := b.Get("/admin/setup"); status != http.StatusOK {
			t.Fatalf("a session in use ended: status %d", status)
		}
		s.advance(31 * time.Minute)
		if status, _, res := b.Get("/admin/setup"); status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") {
			t.Errorf("after 31 idle minutes: status %d, want 303 to the sign-in", status)
		}
	})
}

// TestLogout: signing out ends the session.
func TestLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.Login("/patientlogin.aspx", patientUser, patientPass)
		if status, _, _ := b.Post("/portal/logout", url.Values{"csrf": {b.CSRF("/portal/home")}}); status != http.StatusSeeOther {
			t.Fatalf("logout status %d", status)
		}
		if status, _, _ := b.Get("/portal/home"); status != http.StatusSeeOther {
			t.Errorf("after logout: status %d, want 303 to the sign-in", status)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSignInThrottle: past the free failures for an account even the
// right password waits out a short delay (429); after it, it works.
func TestSignInThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		free := loginthrottle.PolicyOf(loginthrottle.ClassAccount).Free
		for _, tc := range []struct{ path, user, pass string }{
			{"/admin/login", adminUser, adminPass},
			{"/patientlogin.aspx", patientUser, patientPass},
		} {
			t.Run(tc.path, func(t *testing.T) {
				b := s.browser(t)
				try := func(pass string) int {
					st, _, _ := b.Post(tc.path, url.Values{"csrf": {b.CSRF(tc.path)}, "username": {tc.user}, "password": {pass}})
					return st
				}
				for range free + 1 {
					if st := try("wrong-password"); st != http.StatusUnauthorized {
						t.Fatalf("wrong password: status %d", st)
					}
				}
				if st := try(tc.pass); st != http.StatusTooManyRequests {
					t.Errorf("right password during the delay: status %d, want 429", st)
				}
				s.advance(time.Second)
				if st := try(tc.pass); st != http.StatusSeeOther {
					t.Errorf("right password after the delay: status %d, want 303", st)
				}
			})
		}
	})
}

// TestUsersPageClearsThrottle: an administrator sees a delayed account on
// the users page, with its failures, and clears it with the page's form;
// the user then signs in at once. The lockout and the clearing are in the
// audit log.
func TestUsersPageClearsThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		p := s.browser(t)
		for i := range 9 { // four past the free ones, each after the delay before
			if i > 0 {
				s.advance(8 * time.Second)
			}
			if st, _, _ := p.Post("/patientlogin.aspx", url.Values{"csrf": {p.CSRF("/patientlogin.aspx")}, "username": {patientUser}, "password": {"wrong"}}); st != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i+1, st)
			}
		}
		if st, _, _ := p.Post("/patientlogin.aspx", url.Values{"csrf": {p.CSRF("/patientlogin.aspx")}, "username": {patientUser}, "password": {patientPass}}); st != http.StatusTooManyRequests {
			t.Fatalf("right password during the delay: %d, want 429", st)
		}

		a := s.browser(t)
		a.Login("/admin/login", adminUser, adminPass)
		_, body, _ := a.Get("/admin/users")
		key := string(loginthrottle.Account(auth.AccountPatient, patientUser))
		if !strings.Contains(body, "Failed sign-ins") || !strings.Contains(body, `value="`+key+`"`) || !strings.Contains(body, "patient:"+patientUser) {
			t.Fatalf("users page does not list the delayed account: %s", body)
		}
		// The form needs the page's CSRF token, as every admin form does.
		if st, _, _ := a.Post("/admin/users", url.Values{"form": {"throttle-clear"}, "key": {key}, "csrf": {"forged"}}); st != http.StatusForbidden && st != http.StatusBadRequest {
			t.Errorf("clear with a forged CSRF token: %d", st)
		}
		if st, _, _ := a.Post("/admin/users", url.Values{"form": {"throttle-clear"}, "key": {key}, "csrf": {a.CSRF("/admin/users")}}); st != http.StatusSeeOther {
			t.Fatalf("clear: %d", st)
		}
		if _, body, _ := a.Get("/admin/users"); strings.Contains(body, `value="`+key+`"`) {
			t.Errorf("still listed after clearing")
		}
		if st, _, _ := p.Post("/patientlogin.aspx", url.Values{"csrf": {p.CSRF("/patientlogin.aspx")}, "username": {patientUser}, "password": {patientPass}}); st != http.StatusSeeOther {
			t.Errorf("right password after clearing: %d, want 303", st)
		}

		s.Store.FlushAudit()
		evs, err := s.Store.ListAudit(context.Background(), store.AuditFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var locked, cleared bool
		for _, ev := range evs {
			locked = locked || (ev.Action == "lockout" && ev.ResID == "patient:"+patientUser && ev.Path == "/patientlogin.aspx")
			cleared = cleared || (ev.Action == "throttle-clear" && ev.ResID == "patient:"+patientUser && ev.Actor != "")
		}
		if !locked || !cleared {
			t.Errorf("audit: lockout %v, clear %v in %+v", locked, cleared, evs)
		}
	})
}

// TestSignInNext: after signing in the browser goes back to the page it
// asked for, but never off the site or out of the area.
func TestSignInNext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		for _, tc := range []struct{ path, next, want string }{
			{"/admin/login", "/admin/clients?x=1", "/admin/clients?x=1"},
			{"/admin/login", "//evil.example/admin/", "/admin/setup"},
			{"/admin/login", "https://evil.example/admin/", "/admin/setup"},
			{"/admin/login", "/portal/home", "/admin/setup"},
			{"/admin/login", `/\evil.example`, "/admin/setup"},
			{"/patientlogin.aspx", "/portal/apps", "/portal/apps"},
			{"/patientlogin.aspx", "/admin/setup", "/portal/home"},
		} {
			b := s.browser(t)
			user, pass := adminUser, adminPass
			if tc.path == "/patientlogin.aspx" {
				user, pass = patientUser, patientPass
			}
			_, _, res := b.Post(tc.path, url.Values{"csrf": {b.CSRF(tc.path)}, "username": {user}, "password": {pass}, "next": {tc.next}})
			if got := res.Header.Get("Location"); got != tc.want {
				t.Errorf("%s next=%q: to %q, want %q", tc.path, tc.next, got, tc.want)
			}
		}
	})
}

// TestDemoAppServed: the demo app's page, script and configuration are
// served with a policy that allows only its own script and calls.
func TestDemoAppServed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		status, body, res := b.Get("/demo-app/config.json")
		if status != http.StatusOK || !strings.Contains(body, `"client_id":"`+s.DemoApp+`"`) {
			t.Errorf("config: status %d body %s", status, body)
		}
		for _, path := range []string{"/demo-app/", "/demo-app/app.js"} {
			status, _, res = b.Get(path)
			csp := res.Header.Get("Content-Security-Policy")
			if status != http.StatusOK || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") ||
				res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: status %d, CSP %q", path, status, csp)
			}
		}
		if id, err := s.Web.EnsureDemoClient(context.Background()); err != nil || id != s.DemoApp {
			t.Errorf("a second EnsureDemoClient registered %q (%v), want the same %q", id, err, s.DemoApp)
		}
	})
}

// TestHead: a HEAD request is answered like a GET, never as a form post.
func TestHead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		for _, tc := range []struct {
			path   string
			status int
		}{{"/register", 200}, {"/admin/login", 200}, {"/patientlogin.aspx", 200}, {"/admin/setup", 303}, {"/portal/home", 303}} {
			req, _ := http.NewRequest(http.MethodHead, s.URL+tc.path, nil)
			res, err := s.browser(t).Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Errorf("HEAD %s: status %d, want %d", tc.path, res.StatusCode, tc.status)
			}
		}
	})
}
