package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestBrowserPasswordGrant: an administrator switches on the password grant
// on the FHIR setup page, and the token endpoint starts to accept it.
func TestBrowserPasswordGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		reg, err := s.Auth.Register(context.Background(), auth.ClientMetadata{ClientName: "Legacy device",
			TokenEndpointAuthMethod: auth.AuthClientSecretPost, GrantTypes: []string{auth.GrantPassword}, Scope: "openid user/*.rs"}, true)
		if err != nil {
			t.Fatal(err)
		}
		passwordToken := func() (int, map[string]any) {
			res, err := http.PostForm(s.URL+"/connect/token", url.Values{"grant_type": {"password"}, "client_id": {reg.ClientID},
				"client_secret": {reg.ClientSecret}, "username": {clinUser}, "password": {clinPass}, "scope": {"openid user/*.rs"}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body map[string]any
			json.NewDecoder(res.Body).Decode(&body)
			return res.StatusCode, body
		}
		if status, body := passwordToken(); status != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
			t.Fatalf("before: status %d %v, want 400 unsupported_grant_type", status, body)
		}

		c.step("admin signs in", chromedp.Navigate(s.URL+"/admin/setup"), signIn(adminUser, adminPass),
			click(`button[type=submit]`), visible(`#password_grant`))
		if c.checked(`#password_grant`) {
			t.Fatal("the password grant is on before the administrator switched it on")
		}
		c.step("switch it on", click(`#password_grant`),
			click(`form[action="/admin/setup"] button[type=submit]`),
			visible(`.alert.notice`))
		if !c.checked(`#password_grant`) {
			t.Error("the setup page does not show the password grant on after saving")
		}

		status, body := passwordToken()
		if status != http.StatusOK || body["access_token"] == nil {
			t.Fatalf("after: status %d %v, want a token", status, body)
		}
		if code := fhirStatus(t, s, body["access_token"].(string), "Patient/"+s.Patient); code != http.StatusOK {
			t.Errorf("the password grant's token reads a patient: status %d", code)
		}
	})
}

// TestBrowserRegisterApproveLaunch: a developer registers an app through
// the form; it waits for approval and is not offered to patients; the
// administrator approves it; a patient launches it from the portal and the
// app gets a token for that patient.
func TestBrowserRegisterApproveLaunch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		app := newTestApp(t)

		c.step("developer fills the registration form", chromedp.Navigate(s.URL+"/register"),
			visible(`#client_name`),
			set(`#client_name`, "Growth Chart"),
			set(`#redirect_uris`, app.URL+"/callback"),
			set(`#launch_uri`, app.URL+"/launch"),
			set(`#contact`, "dev@growth.example"),
			click(`input[name=scope][value=launch]`),
			click(`form[action="/register"] button[type=submit]`),
			visible(`#client-id`))
		app.clientID = c.text(`#client-id`)
		if st := c.text(`#client-status`); st != "pending" {
			t.Fatalf("an EHR-launch app registered as %q, want pending", st)
		}

		c.step("patient signs in to the portal", chromedp.Navigate(s.URL+"/patientlogin.aspx"), signIn(patientUser, patientPass),
			click(`button[type=submit]`), visible(`#smart-apps`))
		if strings.Contains(c.text(`#smart-apps`), "Growth Chart") {
			t.Fatal("the portal offers an app that awaits approval")
		}

		c.step("admin approves the app", chromedp.Navigate(s.URL+"/admin/clients"), signIn(adminUser, adminPass),
			click(`button[type=submit]`),
			visible(`button[aria-label="Approve Growth Chart"]`),
			click(`button[aria-label="Approve Growth Chart"]`),
			visible(`.alert.notice`))
		if cl, _ := s.Storage.Client(context.Background(), app.clientID); cl.Status != auth.ClientApproved {
			t.Fatalf("after approval the client is %s", cl.Status)
		}

		c.step("patient launches it from the widget", chromedp.Navigate(s.URL+"/portal/home"),
			visible(`button[aria-label="Launch Growth Chart"]`),
			click(`button[aria-label="Launch Growth Chart"]`))
		c.authorizeAsPatient()
		c.step("the app has its token", visible(`#launched`))
		if got := c.text(`#patient`); got != s.Patient {
			t.Errorf("the app's token is for patient %q, want %q", got, s.Patient)
		}
		if code := fhirStatus(t, s, app.token(), "Patient/"+s.Patient); code != http.StatusOK {
			t.Errorf("the launched app reads its patient: status %d", code)
		}
	})
}

// TestBrowserDemoAppRevoke: a patient launches the demo app from the
// portal, sees their name in it, revokes it on the apps page, and the app's
// token is refused from then on.
func TestBrowserDemoAppRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		c := newChrome(t)
		s := newSite(t, dialect)
		c.step("patient signs in to the portal", chromedp.Navigate(s.URL+"/patientlogin.aspx"), signIn(patientUser, patientPass),
			click(`button[type=submit]`), visible(`#smart-apps`))
		name := c.text(`#patient-name`)
		if name == "" {
			t.Fatal("the portal shows no name")
		}
		c.step("launch the demo app", click(`button[aria-label="Launch emp demo app"]`))
		c.authorizeAsPatient()
		c.step("the demo app shows the record", visible(`#record`))
		if got := c.text(`#patient-name`); got != name {
			t.Errorf("the demo app shows %q, want %q", got, name)
		}
		token, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`JSON.parse(sessionStorage.getItem("emp-demo")).access_token`))
		if err != nil {
			t.Fatalf("read the demo app's token: %v", err)
		}
		if code := fhirStatus(t, s, token, "Patient/"+s.Patient); code != http.StatusOK {
			t.Fatalf("before revoking: status %d", code)
		}

		c.step("patient revokes the app", chromedp.Navigate(s.URL+"/portal/apps"),
			visible(`button[aria-label="Revoke emp demo app"]`),
			click(`button[aria-label="Revoke emp demo app"]`),
			visible(`.alert.notice`))
		if strings.Contains(c.text(`main`), "Revoke emp demo app") {
			t.Error("the revoked app is still listed")
		}
		if code := fhirStatus(t, s, token, "Patient/"+s.Patient); code != http.StatusUnauthorized {
			t.Errorf("after revoking: status %d, want 401", code)
		}
		c.step("the demo app is refused", chromedp.Navigate(s.URL+"/demo-app/"), visible(`#status.error`))
		if msg := c.text(`#status`); !strings.Contains(msg, "refused") {
			t.Errorf("the demo app says %q after the revocation", msg)
		}
	})
}

// authorizeAsPatient allows the app on the authorization server's consent
// page. A launch from the portal hands the signed-in patient over, so no
// second sign-in is asked.
func (c *chrome) authorizeAsPatient() {
	c.t.Helper()
	c.step("allow, without signing in again", visible(`button[value=allow]`),
		click(`button[value=allow]`))
}

func fhirStatus(t *testing.T, s *site, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/fhir/r4/"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/fhir+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// testApp is a minimal confidential-less SMART app outside emp: its launch
// URI starts an EHR launch with PKCE and its callback exchanges the code.
type testApp struct {
	*httptest.Server
	clientID string

	mu       sync.Mutex
	verifier map[string]string // state → PKCE verifier
	tokenURL string
	access   string
}

func newTestApp(t *testing.T) *testApp {
	a := &testApp{verifier: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /launch", func(w http.ResponseWriter, r *http.Request) {
		iss, launch := r.FormValue("iss"), r.FormValue("launch")
		var cfg struct {
			Authorize string `json:"authorization_endpoint"`
			Token     string `json:"token_endpoint"`
		}
		res, err := http.Get(iss + "/.well-known/smart-configuration")
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		json.NewDecoder(res.Body).Decode(&cfg)
		res.Body.Close()
		state, verifier := rand.Text(), rand.Text()+rand.Text() // PKCE wants 43 or more
		sum := sha256.Sum256([]byte(verifier))
		a.mu.Lock()
		a.verifier[state], a.tokenURL = verifier, cfg.Token
		a.mu.Unlock()
		q := url.Values{"response_type": {"code"}, "client_id": {a.clientID}, "redirect_uri": {a.URL + "/callback"},
			"scope": {"launch openid fhirUser patient/*.rs"}, "state": {state}, "aud": {iss}, "launch": {launch},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		http.Redirect(w, r, cfg.Authorize+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		verifier, tokenURL := a.verifier[r.FormValue("state")], a.tokenURL
		a.mu.Unlock()
		if verifier == "" {
			t.Logf("test app: callback without a known state: %s", r.URL.RawQuery)
			http.Error(w, "unknown state; error="+r.FormValue("error")+" "+r.FormValue("error_description"), 400)
			return
		}
		res, err := http.PostForm(tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {r.FormValue("code")},
			"redirect_uri": {a.URL + "/callback"}, "client_id": {a.clientID}, "code_verifier": {verifier}})
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer res.Body.Close()
		var tok struct {
			Access  string `json:"access_token"`
			Patient string `json:"patient"`
			Error   string `json:"error_description"`
		}
		json.NewDecoder(res.Body).Decode(&tok)
		if tok.Access == "" {
			t.Logf("test app: token exchange: %d %s", res.StatusCode, tok.Error)
			http.Error(w, "token: "+tok.Error, 502)
			return
		}
		a.mu.Lock()
		a.access = tok.Access
		a.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Growth Chart</title><p id="launched">Launched for patient <span id="patient">%s</span></p>`,
			htmlEscape(tok.Patient))
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

func (a *testApp) token() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.access
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
