package auth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/go-jose/go-jose/v4"
)

func TestStandalonePatientLaunch(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	if tok.header.Get("Cache-Control") != "no-store" || tok.header.Get("Pragma") != "no-cache" {
		t.Error("token answer is cacheable")
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token", "scope", "smart_style_url"} {
		if tok.str(k) == "" {
			t.Errorf("%s missing: %s", k, tok.body)
		}
	}
	if tok.str("token_type") != "Bearer" || tok.json["expires_in"] != float64(3600) || tok.str("patient") != "pat-1" {
		t.Errorf("response %s", tok.body)
	}
	if tok.json["need_patient_banner"] != true {
		t.Errorf("need_patient_banner %v", tok.json["need_patient_banner"])
	}
	if tok.str("scope") != patientScopes {
		t.Errorf("scope %q, want %q", tok.str("scope"), patientScopes)
	}
	p, err := e.srv.Verifier().Verify(bg, tok.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != authz.RolePatient || p.Patient != "pat-1" || p.ClientID != clientID || p.FHIRUser != "Patient/pat-1" || p.Grant == "" {
		t.Errorf("claims %+v", p.Claims)
	}
	if err := p.CanFHIR("Observation", scope.Search); err != nil {
		t.Error(err)
	}
	if id, ok := p.PatientRestriction(); !ok || id != "pat-1" {
		t.Errorf("restriction %q %v", id, ok)
	}

	// The id_token verifies against the published JWKS and names the user.
	claims := verifyIDToken(t, e, tok.str("id_token"))
	if claims["iss"] != e.base || claims["aud"] != clientID || claims["nonce"] != "n-1" ||
		claims["fhirUser"] != e.fhirBase+"/Patient/pat-1" || claims["sub"] != p.Subject || claims["sid"] != p.Grant {
		t.Errorf("id_token claims %v", claims)
	}
	if _, ok := claims["exp"].(float64); !ok {
		t.Error("id_token has no exp")
	}
}

// verifyIDToken checks an id_token's RS256 signature against the JWKS the
// server publishes and returns its claims.
func verifyIDToken(t *testing.T, e *env, tok string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	json.Unmarshal(e.get("/connect/jwks").body, &set)
	keys := set.Key(jws.Signatures[0].Protected.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", jws.Signatures[0].Protected.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	return claims
}

func TestConfidentialClientBasicAuth(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient(patientScopes)
	code, verifier := e.codeFlow(id, "openid fhirUser launch/patient patient/Patient.rs")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}
	r := e.post("/connect/token", form, basic(id, secret))
	if r.status != 200 || r.json["refresh_token"] != nil {
		t.Fatalf("%d %s (no offline_access asked, so no refresh token)", r.status, r.body)
	}
}

func TestConfidentialClientSecretPost(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient(patientScopes)
	code, verifier := e.codeFlow(id, "openid patient/Patient.rs")
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
		"code_verifier": {verifier}, "client_id": {id}, "client_secret": {secret}})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestConfidentialClientWrongSecret(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, _ := e.confidentialClient(patientScopes)
	code, verifier := e.codeFlow(id, "openid patient/Patient.rs")
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, "wrong"))
	wantOAuthError(t, r, 401, errInvalidClient)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	// Without any authentication, a confidential client is refused too.
	r = e.exchange(id, code, verifier)
	wantOAuthError(t, r, 401, errInvalidClient)
}

func TestAsymmetricClientCodeExchange(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	jwks := publicJWKS(t, map[string]any{"rs-1": rsaKey()})
	id := e.register(ClientMetadata{RedirectURIs: []string{appRedirect}, JWKS: []byte(jwks), Scope: patientScopes}).ClientID
	code, verifier := e.codeFlow(id, patientScopes)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier},
		"client_assertion_type": {assertionType}, "client_assertion": {assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil)}}
	r := e.post("/connect/token", form)
	if r.status != 200 || r.str("id_token") == "" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Refresh with a new assertion.
	r = e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.str("refresh_token")},
		"client_assertion_type": {assertionType}, "client_assertion": {assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil)}})
	if r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
}

func TestAuthorizePost(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	verifier, challenge := pkce()
	b := e.browser()
	req, _ := http.NewRequest(http.MethodPost, e.base+"/connect/authorize", strings.NewReader(e.authParams(clientID, patientScopes, challenge).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://app.example") // a cross-site auto-submitted form
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	b.Send(req)
	b.login("amy", AccountPatient)
	b.Consent(nil)
	q := b.redirected()
	if r := e.exchange(clientID, q.Get("code"), verifier); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestConsentUntickedScope(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	b.login("amy", AccountPatient)
	page := string(b.Last.Body)
	for _, want := range []string{"offline_access", "Laboratory results", "Problem list", "patient/Observation.rs"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	b.Consent([]string{"patient/Patient.rs", "patient/Condition.rs"})
	tok := e.exchange(clientID, b.redirected().Get("code"), verifier)
	if tok.status != 200 {
		t.Fatalf("%d %s", tok.status, tok.body)
	}
	if got := tok.str("scope"); got != "launch/patient openid fhirUser patient/Patient.rs patient/Condition.rs" {
		t.Errorf("scope %q", got)
	}
	if tok.json["refresh_token"] != nil {
		t.Error("offline_access was unticked but a refresh token came")
	}
	p, _ := e.srv.Verifier().Verify(bg, tok.str("access_token"))
	if err := p.CanFHIR("Observation", scope.Search); err == nil {
		t.Error("an unticked type is still allowed")
	}
}

func TestConsentCategorySubScopes(t *testing.T) {
	// The g10 granular scope selection: the patient grants categories of
	// Condition and Observation instead of the whole types.
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	b.login("amy", AccountPatient)
	lab := "patient/Observation.rs?category=" + obsCategory + "|laboratory"
	health := "patient/Condition.rs?category=" + usCoreCondCat + "|health-concern"
	b.Consent([]string{"patient/Patient.rs", lab, health})
	tok := e.exchange(clientID, b.redirected().Get("code"), verifier)
	got := tok.str("scope")
	for _, want := range []string{lab, health, "patient/Patient.rs"} {
		if !strings.Contains(got, want) {
			t.Errorf("scope %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "patient/Observation.rs ") || strings.HasSuffix(got, "patient/Observation.rs") || strings.Contains(got, "patient/Condition.rs ") {
		t.Errorf("scope %q keeps a whole-type grant", got)
	}
	p, err := e.srv.Verifier().Verify(bg, tok.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	filters, unrestricted := p.SearchFilters("Observation")
	if unrestricted || len(filters) != 1 || filters[0].Query != "category="+obsCategory+"|laboratory" {
		t.Errorf("Observation filters %v unrestricted %v", filters, unrestricted)
	}
}

func TestConsentRefusesForgedScope(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, "openid patient/Patient.rs", challenge)))
	b.login("amy", AccountPatient)
	r := b.Consent([]string{"patient/Patient.rs", "patient/Observation.rs"})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("forged scope: %d", r.Status)
	}
}

func TestConsentDenied(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	b.login("amy", AccountPatient)
	b.Submit(url.Values{"decision": {"deny"}})
	q := b.redirected()
	if q.Get("error") != errAccessDenied || q.Get("state") != "st-123" || q.Get("code") != "" {
		t.Errorf("redirect %v", q)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	r := b.Submit(url.Values{"username": {"amy"}, "password": {"wrong"}, "user_role": {AccountPatient}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "Wrong username or password") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	// A staff user named amy does not exist: the kind matters.
	r = b.login("amy", AccountStaff)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("staff login as a patient: %d", r.Status)
	}
}

// TestLoginThrottledPerAccount: past the free failures the account is
// slowed, not locked: the right password waits out a short delay (429 with
// Retry-After while it runs), and then signs in.
func TestLoginThrottledPerAccount(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	free := loginthrottle.PolicyOf(loginthrottle.ClassAccount).Free
	// Three failures past the free ones, each after the delay the one
	// before set (1 s, then 2 s): the next attempt waits 4 s.
	for i := range free + 3 {
		if i > free {
			e.clock.Advance(time.Second << (i - free - 1))
		}
		if r := b.Submit(url.Values{"username": {"amy"}, "password": {"wrong"}, "user_role": {AccountPatient}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.Status)
		}
	}
	// Even the right password is not checked now.
	r := b.login("amy", AccountPatient)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "4" {
		t.Fatalf("after %d failures: %d, Retry-After %q", free+3, r.Status, r.Header.Get("Retry-After"))
	}
	e.clock.Advance(4 * time.Second)
	b.login("amy", AccountPatient)
	if !strings.Contains(b.URL.Path, "/connect/consent") {
		t.Fatalf("after the delay: at %s (%d)", b.URL, b.Last.Status)
	}
}

func TestLoginCSRF(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	t.Run("missing token", func(t *testing.T) {
		b := e.browser()
		b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
		r := b.Submit(url.Values{"csrf": {"forged"}, "username": {"amy"}, "password": {"correct horse"}, "user_role": {AccountPatient}})
		if r.Status != http.StatusForbidden {
			t.Fatalf("%d", r.Status)
		}
	})
	t.Run("cross-site POST", func(t *testing.T) {
		b := e.browser()
		b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
		r := b.Submit(url.Values{"username": {"amy"}, "password": {"correct horse"}, "user_role": {AccountPatient}},
			func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") })
		if r.Status != http.StatusForbidden {
			t.Fatalf("%d", r.Status)
		}
	})
	t.Run("another browser", func(t *testing.T) {
		b := e.browser()
		b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
		other := e.browser()
		other.Last, other.URL = b.Last, b.URL
		r := other.login("amy", AccountPatient)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "another browser") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

func TestSessionRenewedAtLogin(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	before := b.Cookie("/connect/", sessionCookie)
	b.login("amy", AccountPatient)
	if after := b.Cookie("/connect/", sessionCookie); after == "" || after == before {
		t.Errorf("session cookie not renewed at sign-in")
	}
}

func TestInteractionExpires(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	e.clock.Advance(31 * time.Minute)
	if r := b.login("amy", AccountPatient); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

func TestAuthorizeErrorsShownNotRedirected(t *testing.T) {
	// Until the client and redirect URI are known good, no redirect: an
	// attacker cannot use the server as an open redirector.
	e := newEnv(t)
	clientID := e.publicClient()
	_, challenge := pkce()
	cases := map[string]func(url.Values){
		"unknown client":            func(v url.Values) { v.Set("client_id", "nobody") },
		"unregistered redirect":     func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") },
		"redirect prefix":           func(v url.Values) { v.Set("redirect_uri", appRedirect+"/more") },
		"redirect with extra query": func(v url.Values) { v.Set("redirect_uri", appRedirect+"?x=1") },
		"missing redirect":          func(v url.Values) { v.Del("redirect_uri") },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			v := e.authParams(clientID, patientScopes, challenge)
			spoil(v)
			b := e.browser()
			r := b.Open(e.authorizeURL(v))
			if r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" {
				t.Fatalf("%d Location %q", r.Status, r.Header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeErrorsRedirected(t *testing.T) {
	e := newEnv(t)
	clientID := e.publicClient()
	_, challenge := pkce()
	cases := []struct {
		name  string
		spoil func(url.Values)
		code  string
	}{
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, errInvalidRequest},
		{"no challenge method means plain", func(v url.Values) { v.Del("code_challenge_method") }, errInvalidRequest},
		{"public client without PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, errInvalidRequest},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, errInvalidRequest},
		{"token response type", func(v url.Values) { v.Set("response_type", "token") }, errUnsupportedResponseType},
		{"invalid aud", func(v url.Values) { v.Set("aud", "https://inferno.healthit.gov/invalid_aud") }, errInvalidRequest},
		{"no known scope", func(v url.Values) { v.Set("scope", "user/Patient.rs email") }, errInvalidScope},
		{"unknown launch", func(v url.Values) { v.Set("launch", "made-up") }, errInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := e.authParams(clientID, patientScopes, challenge)
			tc.spoil(v)
			b := e.browser()
			b.Open(e.authorizeURL(v))
			q := b.redirected()
			if q.Get("error") != tc.code || q.Get("code") != "" || q.Get("state") != "st-123" {
				t.Errorf("redirect %v, want error %s", q, tc.code)
			}
		})
	}
}

func TestAuthorizeAudTrailingSlash(t *testing.T) {
	e := newEnv(t)
	clientID := e.publicClient()
	_, challenge := pkce()
	v := e.authParams(clientID, patientScopes, challenge)
	v.Set("aud", e.fhirBase+"/")
	b := e.browser()
	b.Open(e.authorizeURL(v))
	if !strings.Contains(b.URL.Path, "/connect/login") {
		t.Fatalf("aud with a trailing slash refused: %d %v", b.Last.Status, b.Last.Header.Get("Location"))
	}
}

func TestPendingClientCannotAuthorize(t *testing.T) {
	e := newEnv(t)
	reg, err := e.srv.Register(bg, ClientMetadata{RedirectURIs: []string{appRedirect}, Scope: "launch patient/Patient.rs"}, false)
	if err != nil || reg.Status != ClientPending {
		t.Fatalf("%+v %v", reg, err)
	}
	_, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(reg.ClientID, "patient/Patient.rs", challenge)))
	if q := b.redirected(); q.Get("error") != errUnauthorizedClient {
		t.Errorf("%v", q)
	}
}

func TestEHRLaunch(t *testing.T) {
	e := newEnv(t)
	e.addClinician("drjones", "prac-9")
	id, secret := e.confidentialClient("launch openid fhirUser offline_access user/Patient.rs user/Observation.rs patient/Patient.rs")
	launch, launchURL, err := e.srv.NewLaunch(bg, LaunchRequest{ClientID: id, Patient: "pat-2", Encounter: "enc-7", Intent: "summary",
		FHIRContext: []FHIRContext{{Reference: "Encounter/enc-7"}}})
	if err != nil {
		t.Fatal(err)
	}
	lu, _ := url.Parse(launchURL)
	if lu.Query().Get("iss") != e.fhirBase || lu.Query().Get("launch") != launch || !strings.HasPrefix(launchURL, "https://app.example/launch?") {
		t.Errorf("launch URL %s", launchURL)
	}
	verifier, challenge := pkce()
	p := e.authParams(id, "launch openid fhirUser offline_access user/Patient.rs user/Observation.rs", challenge)
	p.Set("launch", launch)
	b := e.browser()
	b.Open(e.authorizeURL(p))
	if !strings.Contains(string(b.Last.Body), `value="users" checked`) {
		t.Error("an EHR launch should preselect staff sign-in")
	}
	b.login("drjones", AccountStaff)
	b.Consent(nil)
	code := b.redirected().Get("code")
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, secret))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.str("patient") != "pat-2" || r.str("encounter") != "enc-7" || r.json["need_patient_banner"] != false || r.str("intent") != "summary" {
		t.Errorf("context %s", r.body)
	}
	if fc, _ := r.json["fhirContext"].([]any); len(fc) != 1 || fc[0].(map[string]any)["reference"] != "Encounter/enc-7" {
		t.Errorf("fhirContext %v", r.json["fhirContext"])
	}
	if !strings.Contains(r.str("scope"), "launch ") {
		t.Errorf("scope %q lacks launch", r.str("scope"))
	}
	claims := verifyIDToken(t, e, r.str("id_token"))
	if claims["fhirUser"] != e.fhirBase+"/Practitioner/prac-9" {
		t.Errorf("fhirUser %v", claims["fhirUser"])
	}
	pr, _ := e.srv.Verifier().Verify(bg, r.str("access_token"))
	if pr.Role != authz.RoleClinician || pr.Patient != "pat-2" {
		t.Errorf("claims %+v", pr.Claims)
	}
	// A launch belongs to its client.
	other, _ := e.confidentialClient("launch openid patient/Patient.rs")
	p.Set("client_id", other)
	b2 := e.browser()
	b2.Open(e.authorizeURL(p))
	if q := b2.redirected(); q.Get("error") != errInvalidRequest {
		t.Errorf("launch used by another client: %v", q)
	}
}

func TestClinicianPicksPatient(t *testing.T) {
	e := newEnv(t)
	e.addClinician("drjones", "prac-9")
	id, secret := e.confidentialClient("launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs user/Patient.rs")
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(id, "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs", challenge)))
	b.login("drjones", AccountStaff)
	if !strings.Contains(b.URL.Path, "/connect/patient") {
		t.Fatalf("not at the picker but %s", b.URL)
	}
	// Consent cannot be reached before a patient is chosen.
	skip := e.browser()
	skip.Client.Jar = b.Client.Jar
	skip.Open(strings.Replace(b.URL.String(), "/connect/patient", "/connect/consent", 1))
	if !strings.Contains(skip.URL.Path, "/connect/patient") {
		t.Fatalf("consent reached without a patient: %s", skip.URL)
	}
	b.Open(b.URL.String() + "&q=stone")
	if !strings.Contains(string(b.Last.Body), "Bob Stone") || strings.Contains(string(b.Last.Body), "Amy Shaw") {
		t.Fatalf("search results: %s", b.Last.Body)
	}
	// A patient id that does not exist is refused.
	if r := b.Submit(url.Values{"patient_id": {"pat-404"}, "action": {"select"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown patient: %d", r.Status)
	}
	b.Submit(url.Values{"patient_id": {"pat-2"}, "action": {"select"}})
	if !strings.Contains(string(b.Last.Body), "Bob Stone") {
		t.Errorf("consent does not name the patient")
	}
	b.Consent(nil)
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {b.redirected().Get("code")},
		"redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, secret))
	if r.status != 200 || r.str("patient") != "pat-2" || r.json["need_patient_banner"] != true {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestPatientUserCannotTakeAnotherPatientsLaunch(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, _ := e.confidentialClient("launch openid patient/Patient.rs")
	launch, _, err := e.srv.NewLaunch(bg, LaunchRequest{ClientID: id, Patient: "pat-2"})
	if err != nil {
		t.Fatal(err)
	}
	_, challenge := pkce()
	p := e.authParams(id, "launch openid patient/Patient.rs", challenge)
	p.Set("launch", launch)
	b := e.browser()
	b.Open(e.authorizeURL(p))
	b.login("amy", AccountPatient)
	if q := b.redirected(); q.Get("error") != errAccessDenied {
		t.Errorf("%v", q)
	}
}

func TestPatientUserNeverGetsUserScopes(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient("openid user/Patient.rs patient/Patient.rs")
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(id, "openid user/Patient.rs patient/Patient.rs", challenge)))
	b.login("amy", AccountPatient)
	if strings.Contains(string(b.Last.Body), "user/Patient.rs") {
		t.Error("consent offers a patient a user/ scope")
	}
	b.Consent(nil)
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {b.redirected().Get("code")},
		"redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, secret))
	if r.str("scope") != "openid patient/Patient.rs" {
		t.Errorf("scope %q", r.str("scope"))
	}
}

func TestScopesNeverExceedRegistration(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.register(ClientMetadata{RedirectURIs: []string{appRedirect}, TokenEndpointAuthMethod: AuthNone,
		Scope: "openid patient/Patient.read patient/Observation.rs"}).ClientID
	code, verifier := e.codeFlow(clientID, "openid patient/*.read patient/Condition.rs offline_access")
	r := e.exchange(clientID, code, verifier)
	// patient/*.read meets the registration in v1 form; Condition and
	// offline_access were never registered.
	if r.str("scope") != "openid patient/Patient.read patient/Observation.read" {
		t.Errorf("scope %q", r.str("scope"))
	}
}

func TestCodeWrongRedirectURI(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	code, verifier := e.codeFlow(clientID, patientScopes)
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example/other"},
		"client_id": {clientID}, "code_verifier": {verifier}})
	wantOAuthError(t, r, 400, errInvalidGrant)
}

func TestCodeExpiresAfterAMinute(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	code, verifier := e.codeFlow(clientID, patientScopes)
	e.clock.Advance(61 * time.Second)
	wantOAuthError(t, e.exchange(clientID, code, verifier), 400, errInvalidGrant)
}

// TestCodeOfAnotherClient: a code presented by anyone but its client, or
// without its redirect_uri or PKCE verifier, is refused before it is spent,
// so the rightful client still redeems it afterwards.
func TestCodeOfAnotherClient(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	other := e.publicClient()
	confID, confSecret := e.confidentialClient(patientScopes)
	otherVerifier, _ := pkce()
	cases := []struct {
		name string
		form func(code, verifier string) url.Values
	}{
		{"another public client", func(code, verifier string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
				"client_id": {other}, "code_verifier": {verifier}}
		}},
		{"another, confidential client", func(code, verifier string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
				"client_id": {confID}, "client_secret": {confSecret}, "code_verifier": {verifier}}
		}},
		{"another redirect_uri", func(code, verifier string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://evil.example/cb"},
				"client_id": {clientID}, "code_verifier": {verifier}}
		}},
		{"a wrong verifier", func(code, verifier string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
				"client_id": {clientID}, "code_verifier": {otherVerifier}}
		}},
		{"no verifier", func(code, verifier string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect},
				"client_id": {clientID}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, verifier := e.codeFlow(clientID, patientScopes)
			wantOAuthError(t, e.post("/connect/token", c.form(code, verifier)), 400, errInvalidGrant)
			if r := e.exchange(clientID, code, verifier); r.status != 200 {
				t.Fatalf("the rightful client after %s: %d %s", c.name, r.status, r.body)
			}
		})
	}
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	code, verifier := e.codeFlow(clientID, patientScopes)
	first := e.exchange(clientID, code, verifier)
	if first.status != 200 {
		t.Fatal(first.status)
	}
	wantOAuthError(t, e.exchange(clientID, code, verifier), 400, errInvalidGrant)
	if _, err := e.srv.Verifier().Verify(bg, first.str("access_token")); err == nil {
		t.Error("the access token of a replayed code still verifies")
	}
	r := e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}})
	wantOAuthError(t, r, 400, errInvalidGrant)
}

func TestCodeVerifierWithoutChallenge(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient(patientScopes)
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(id, "openid patient/Patient.rs", "")))
	b.login("amy", AccountPatient)
	b.Consent(nil)
	code := b.redirected().Get("code")
	verifier, _ := pkce()
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, secret))
	wantOAuthError(t, r, 400, errInvalidGrant)
}

func TestTokenEndpointRequestShape(t *testing.T) {
	e := newEnv(t)
	clientID := e.publicClient()
	t.Run("repeated parameter", func(t *testing.T) {
		r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code", "authorization_code"}, "client_id": {clientID}})
		wantOAuthError(t, r, 400, errInvalidRequest)
	})
	t.Run("JSON body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.tokenURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		wantOAuthError(t, do(t, nil, req), 400, errInvalidRequest)
	})
	t.Run("no grant_type", func(t *testing.T) {
		wantOAuthError(t, e.post("/connect/token", url.Values{"client_id": {clientID}}), 400, errInvalidRequest)
	})
	t.Run("implicit", func(t *testing.T) {
		wantOAuthError(t, e.post("/connect/token", url.Values{"grant_type": {"implicit"}}), 400, errUnsupportedGrantType)
	})
	t.Run("GET", func(t *testing.T) {
		if r := e.get("/connect/token"); r.status != http.StatusMethodNotAllowed {
			t.Errorf("%d", r.status)
		}
	})
}

func TestTokenEndpointCORS(t *testing.T) {
	e := newEnv(t)
	e.publicClient()
	preflight := func(origin string) result {
		req, _ := http.NewRequest(http.MethodOptions, e.tokenURL, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		return do(t, nil, req)
	}
	if r := preflight("https://app.example"); r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("registered origin: %d %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	if r := preflight("https://evil.example"); r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unknown origin: %d %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	r := e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, func(r *http.Request) { r.Header.Set("Origin", "https://app.example") })
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("token answer to a registered origin lacks CORS: %v", r.header)
	}
}
