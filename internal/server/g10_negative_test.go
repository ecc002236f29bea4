package server_test

// The negative cases the ONC (g)(10) test kit asserts (SMART App Launch
// 2.x; standards notes section 1.14), each as its own test, end to end over
// the whole server on each database: the real pages, the token endpoint on
// the SQL store, and the FHIR and bulk faces checking the tokens. internal/
// auth's standards_test.go checks the authorization server's side of the
// same cases on its in-memory store.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store/storetest"
)

const (
	g10Scopes   = "launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Condition.rs patient/AllergyIntolerance.rs"
	obsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
)

// g10Launch is a standalone launch of a public app by patient pat-a's
// portal user, stopped at the redirect with its code.
type g10Launch struct {
	ts                              *testServer
	clientID, code, verifier, chall string
}

// startLaunch runs the pages, consenting to the scopes given (every scope
// offered when nil).
func startLaunch(t *testing.T, ts *testServer, consent []string) g10Launch {
	t.Helper()
	ts.seedPatient("pat-a")
	ts.addPatientUser("amy", "pat-a")
	l := g10Launch{ts: ts, clientID: ts.publicApp(g10Scopes)}
	l.verifier, l.chall = pkcePair()
	b := ts.browser()
	b.Open(ts.authorizeURL(l.clientID, g10Scopes, l.chall, ts.app.FHIRBase))
	login(b, "amy")
	b.Consent(consent)
	l.code = b.Redirected(appRedirect).Get("code")
	if l.code == "" {
		t.Fatalf("no code: %v", b.Redirected(appRedirect))
	}
	return l
}

func (ts *testServer) authorizeURL(clientID, scopes, challenge, aud string) string {
	return ts.app.BaseURL + "/connect/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {appRedirect}, "scope": {scopes},
		"state": {"st-1"}, "aud": {aud}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}.Encode()
}

// exchangeForm is the code exchange a public client sends.
func (l g10Launch) exchangeForm() url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {l.code}, "redirect_uri": {appRedirect},
		"client_id": {l.clientID}, "code_verifier": {l.verifier}}
}

// tokens exchanges the code and returns the token response.
func (l g10Launch) tokens(t *testing.T) map[string]any {
	t.Helper()
	r := l.ts.form("/connect/token", l.exchangeForm())
	if r.status != 200 {
		t.Fatalf("token exchange: %d %s", r.status, r.body)
	}
	return r.json(t)
}

func pkcePair() (verifier, challenge string) {
	verifier = randomString() + randomString()
	return verifier, s256(verifier)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func wantStatus(t *testing.T, what string, r response, allowed ...int) {
	t.Helper()
	for _, s := range allowed {
		if r.status == s {
			return
		}
	}
	t.Fatalf("%s: status %d (%s), want one of %v", what, r.status, r.body, allowed)
}

func TestG10ServerFHIRReadWithoutToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		r := ts.do("GET", "/fhir/r4/Patient/pat-a", "", "")
		wantStatus(t, "read without a token", r, 401)
		if !strings.Contains(strings.ToLower(r.header.Get("WWW-Authenticate")), "bearer") {
			t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
		}
	})
}

func TestG10ServerBadCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		l := startLaunch(t, ts, nil)
		f := l.exchangeForm()
		f.Set("code", "BAD_CODE")
		wantStatus(t, "BAD_CODE", ts.form("/connect/token", f), 400)
	})
}

func TestG10ServerBadClientID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		l := startLaunch(t, ts, nil)
		f := l.exchangeForm()
		f.Set("client_id", "BAD_CLIENT_ID")
		wantStatus(t, "BAD_CLIENT_ID", ts.form("/connect/token", f), 400, 401)
	})
}

// pkceRefused runs a launch and exchanges its code with the verifier edit
// makes; the exchange must fail. A failed exchange may burn the code, so
// the control (the right verifier succeeds) is TestG10ServerPKCEControl.
func pkceRefused(t *testing.T, edit func(f url.Values, l g10Launch)) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		l := startLaunch(t, ts, nil)
		f := l.exchangeForm()
		edit(f, l)
		r := ts.form("/connect/token", f)
		wantStatus(t, "exchange", r, 400, 401)
		if strings.Contains(string(r.body), "access_token") {
			t.Fatalf("a token was issued: %s", r.body)
		}
	})
}

func TestG10ServerPKCEMissingVerifier(t *testing.T) {
	pkceRefused(t, func(f url.Values, _ g10Launch) { f.Del("code_verifier") })
}

func TestG10ServerPKCEBlankVerifier(t *testing.T) {
	pkceRefused(t, func(f url.Values, _ g10Launch) { f.Set("code_verifier", "") })
}

func TestG10ServerPKCEWrongVerifier(t *testing.T) {
	other, _ := pkcePair()
	pkceRefused(t, func(f url.Values, _ g10Launch) { f.Set("code_verifier", other) })
}

func TestG10ServerPKCEPlainVerifier(t *testing.T) {
	pkceRefused(t, func(f url.Values, l g10Launch) { f.Set("code_verifier", l.chall) })
}

func TestG10ServerPKCEControl(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		tok := startLaunch(t, ts, nil).tokens(t)
		if tok["patient"] != "pat-a" {
			t.Fatalf("%v", tok)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/pat-a", tok["access_token"].(string), ""); r.status != 200 {
			t.Fatalf("read with the token: %d %s", r.status, r.body)
		}
	})
}

func TestG10ServerRandomRefreshToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		l := startLaunch(t, ts, nil)
		l.tokens(t)
		r := ts.form("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {randomString() + randomString()}, "client_id": {l.clientID}})
		wantStatus(t, "random refresh token", r, 400, 401)
	})
}

func TestG10ServerLimitedAccessSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		tok := startLaunch(t, ts, []string{"launch/patient", "openid", "fhirUser", "patient/Patient.rs", "patient/Condition.rs", "patient/Observation.rs"}).tokens(t)
		ts.do("PUT", "/fhir/r4/AllergyIntolerance/al-1", admin, `{"resourceType":"AllergyIntolerance","id":"al-1","patient":{"reference":"Patient/pat-a"},"code":{"text":"peanut"}}`)
		at := tok["access_token"].(string)
		if strings.Contains(tok["scope"].(string), "AllergyIntolerance") {
			t.Fatalf("unticked scope granted: %v", tok["scope"])
		}
		wantStatus(t, "search of a type not granted", ts.do("GET", "/fhir/r4/AllergyIntolerance?patient=pat-a", at, ""), 401, 403)
		wantStatus(t, "read of a type not granted", ts.do("GET", "/fhir/r4/AllergyIntolerance/al-1", at, ""), 401, 403)
		wantStatus(t, "search of a granted type", ts.do("GET", "/fhir/r4/Condition?patient=pat-a", at, ""), 200)
	})
}

func TestG10ServerGranularReadOutsideCategory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		ts.seedPatient("pat-a")
		for id, cat := range map[string]string{"obs-lab": "laboratory", "obs-vital": "vital-signs"} {
			body := `{"resourceType":"Observation","id":"` + id + `","status":"final","category":[{"coding":[{"system":"` + obsCategory + `","code":"` + cat + `"}]}],"code":{"text":"x"},"subject":{"reference":"Patient/pat-a"}}`
			if r := ts.do("PUT", "/fhir/r4/Observation/"+id, admin, body); r.status != 201 {
				t.Fatalf("PUT %s: %d %s", id, r.status, r.body)
			}
		}
		lab := "patient/Observation.rs?category=" + obsCategory + "|laboratory"
		tok := startLaunch(t, ts, []string{"launch/patient", "patient/Patient.rs", lab}).tokens(t)
		at := tok["access_token"].(string)
		if !strings.Contains(tok["scope"].(string), lab) || strings.Contains(tok["scope"].(string), "patient/Observation.rs ") {
			t.Fatalf("granted %q", tok["scope"])
		}
		wantStatus(t, "read inside the category", ts.do("GET", "/fhir/r4/Observation/obs-lab", at, ""), 200)
		r := ts.do("GET", "/fhir/r4/Observation/obs-vital", at, "")
		if r.status == 200 || len(r.body) > 0 && !strings.Contains(string(r.body), `"OperationOutcome"`) {
			t.Fatalf("read outside the category: %d %s", r.status, r.body)
		}
		s := ts.do("GET", "/fhir/r4/Observation?patient=pat-a", at, "")
		if s.status != 200 || !strings.Contains(string(s.body), "obs-lab") || strings.Contains(string(s.body), "obs-vital") {
			t.Fatalf("search: %d %s", s.status, s.body)
		}
	})
}

func TestG10ServerRevokedTokenReadingPatient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		l := startLaunch(t, ts, nil)
		tok := l.tokens(t)
		at := tok["access_token"].(string)
		wantStatus(t, "read before revocation", ts.do("GET", "/fhir/r4/Patient/pat-a", at, ""), 200)
		// The app's access ends when its grant is revoked (the refresh token
		// names it).
		wantStatus(t, "revoke", ts.form("/connect/revoke", url.Values{"token": {tok["refresh_token"].(string)}, "client_id": {l.clientID}}), 200)
		wantStatus(t, "read after revocation", ts.do("GET", "/fhir/r4/Patient/pat-a", at, ""), 401, 403, 404)
	})
}

func TestG10ServerRefreshAfterRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		l := startLaunch(t, ts, nil)
		tok := l.tokens(t)
		rt := tok["refresh_token"].(string)
		wantStatus(t, "revoke", ts.form("/connect/revoke", url.Values{"token": {tok["access_token"].(string)}, "client_id": {l.clientID}}), 200)
		wantStatus(t, "revoke", ts.form("/connect/revoke", url.Values{"token": {rt}, "client_id": {l.clientID}}), 200)
		wantStatus(t, "refresh after revocation", ts.form("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {l.clientID}}), 400, 401)
	})
}

// backendForm is a valid client-credentials request for the client.
func backendForm(assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
}

func TestG10ServerBackendBadGrantType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		_, assert := ts.backendClient("system/Patient.rs")
		f := backendForm(assert())
		f.Set("grant_type", "not_a_grant_type")
		r := ts.form("/connect/token", f)
		wantStatus(t, "bad grant_type", r, 400)
		if r.json(t)["error"] != "unsupported_grant_type" {
			t.Errorf("%s", r.body)
		}
		wantStatus(t, "control", ts.form("/connect/token", backendForm(assert())), 200)
	})
}

func TestG10ServerBackendBadAssertionType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		_, assert := ts.backendClient("system/Patient.rs")
		f := backendForm(assert())
		f.Set("client_assertion_type", "not_an_assertion_type")
		wantStatus(t, "bad client_assertion_type", ts.form("/connect/token", f), 400, 401)
	})
}

func TestG10ServerInvalidAudIssuesNoCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		ts.addPatientUser("amy", "pat-a")
		_, chall := pkcePair()
		b := ts.browser()
		b.Open(ts.authorizeURL(ts.publicApp(g10Scopes), g10Scopes, chall, "https://inferno.healthit.gov/invalid_aud"))
		if b.Last.Status == 200 && strings.Contains(b.URL.Path, "/connect/login") {
			login(b, "amy")
			if strings.Contains(b.URL.Path, "/connect/consent") {
				b.Consent(nil)
			}
		}
		loc := b.Last.Header.Get("Location")
		if strings.Contains(loc, "code=") {
			t.Fatalf("a code was issued for a foreign aud: %s", loc)
		}
		if !strings.Contains(loc, "error=") && b.Last.Status < 400 {
			t.Fatalf("no error for a foreign aud: %d %s", b.Last.Status, b.Last.Body)
		}
	})
}

// bulkToken is a backend token for exports of everything.
func (ts *testServer) bulkToken(t *testing.T) string {
	t.Helper()
	_, assert := ts.backendClient("system/*.$export system/*.rs")
	f := backendForm(assert())
	f.Set("scope", "system/*.$export system/*.rs")
	r := ts.form("/connect/token", f)
	tok, _ := r.json(t)["access_token"].(string)
	if tok == "" {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	return tok
}

func TestG10ServerExportWithoutToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		r := ts.do("GET", "/fhir/r4/$export", "", "", "Accept", "application/fhir+json", "Prefer", "respond-async")
		wantStatus(t, "$export without a token", r, 400, 401)
		wantStatus(t, "control", ts.do("GET", "/fhir/r4/$export", ts.bulkToken(t), "", "Accept", "application/fhir+json", "Prefer", "respond-async"), 202)
	})
}

// finishedExport kicks off an export of Patient and waits for its manifest.
func finishedExport(t *testing.T, ts *testServer, tok string) (statusPath string, files []string) {
	t.Helper()
	ts.seedPatient("pat-a")
	k := ts.do("GET", "/fhir/r4/$export?_type=Patient", tok, "", "Accept", "application/fhir+json", "Prefer", "respond-async")
	if k.status != 202 {
		t.Fatalf("kick-off: %d %s", k.status, k.body)
	}
	statusPath = strings.TrimPrefix(k.header.Get("Content-Location"), ts.app.BaseURL)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := ts.do("GET", statusPath, tok, "")
		if r.status == 200 {
			var m struct {
				RequiresAccessToken bool `json:"requiresAccessToken"`
				Output              []struct{ URL string }
			}
			json.Unmarshal(r.body, &m)
			if !m.RequiresAccessToken || len(m.Output) == 0 {
				t.Fatalf("manifest %s", r.body)
			}
			for _, o := range m.Output {
				files = append(files, strings.TrimPrefix(o.URL, ts.app.BaseURL))
			}
			return statusPath, files
		}
		if r.status != 202 && r.status != 429 || time.Now().After(deadline) {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
		// Poll as the server asks (it throttles eager pollers).
		wait, _ := strconv.Atoi(r.header.Get("Retry-After"))
		time.Sleep(time.Duration(max(wait, 1)) * time.Second)
	}
}

func TestG10ServerNDJSONWithoutToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		tok := ts.bulkToken(t)
		_, files := finishedExport(t, ts, tok)
		wantStatus(t, "download without a token", ts.do("GET", files[0], "", ""), 400, 401)
		wantStatus(t, "control", ts.do("GET", files[0], tok, ""), 200)
	})
}

func TestG10ServerStatusAfterCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		tok := ts.bulkToken(t)
		// Cancelled once complete: a cancel racing the running job once
		// answered 500 on PostgreSQL under load, which is the bulk
		// service's to settle, not this test's.
		status, _ := finishedExport(t, ts, tok)
		wantStatus(t, "DELETE", ts.do("DELETE", status, tok, ""), 202)
		r := ts.do("GET", status, tok, "")
		wantStatus(t, "status after cancel", r, 404)
		if r.json(t)["resourceType"] != "OperationOutcome" {
			t.Fatalf("body %s", r.body)
		}
	})
}
