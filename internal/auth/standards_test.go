package auth

// The negative cases the ONC (g)(10) test kit asserts on the authorization
// server (SMART App Launch 2.x; standards notes section 1.14), each as its
// own test. The cases about the FHIR and bulk faces (search of a type not
// granted, granular reads, $export without a token) rest on the token this
// server issues; they are checked here as far as the token decides them,
// and end to end by the faces' tests.

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/go-jose/go-jose/v4"
)

// wantStatusIn checks a status among the allowed ones.
func wantStatusIn(t *testing.T, r result, allowed ...int) {
	t.Helper()
	for _, s := range allowed {
		if r.status == s {
			return
		}
	}
	t.Fatalf("status %d (%s), want one of %v", r.status, r.body, allowed)
}

func TestG10NoTokenIsUnauthorized(t *testing.T) {
	// "FHIR read with no token: 401 exactly" — the gate the server hands
	// the faces refuses a request without a token as Unauthorized.
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.fhirBase+"/Patient/pat-1", nil)
	_, err := e.srv.Verifier().Authenticate(req)
	if errs.KindOf(err) != errs.Unauthorized || errs.KindOf(err).Status() != 401 {
		t.Fatalf("%v", err)
	}
}

func TestG10BadCode(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, verifier := e.codeFlow(clientID, patientScopes)
	r := e.exchange(clientID, "BAD_CODE", verifier)
	if r.status != 400 {
		t.Fatalf("status %d, want exactly 400", r.status)
	}
	wantOAuthError(t, r, 400, errInvalidGrant)
}

func TestG10BadClientID(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	code, verifier := e.codeFlow(clientID, patientScopes)
	wantStatusIn(t, e.exchange("BAD_CLIENT_ID", code, verifier), 400, 401)
}

func TestG10BadClientIDConfidential(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient(patientScopes)
	code, verifier := e.codeFlow(id, patientScopes)
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic("BAD_CLIENT_ID", secret))
	wantStatusIn(t, r, 400, 401)
}

// pkceCase runs a launch and exchanges its code with the verifier edit
// applies.
func pkceCase(t *testing.T, edit func(form url.Values, verifier, challenge string)) result {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	b.login("amy", AccountPatient)
	b.Consent(nil)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {b.redirected().Get("code")}, "redirect_uri": {appRedirect},
		"client_id": {clientID}, "code_verifier": {verifier}}
	edit(form, verifier, challenge)
	return e.post("/connect/token", form)
}

func TestG10PKCEMissingVerifier(t *testing.T) {
	r := pkceCase(t, func(f url.Values, _, _ string) { f.Del("code_verifier") })
	wantStatusIn(t, r, 400, 401)
}

func TestG10PKCEBlankVerifier(t *testing.T) {
	r := pkceCase(t, func(f url.Values, _, _ string) { f.Set("code_verifier", "") })
	wantStatusIn(t, r, 400, 401)
}

func TestG10PKCEWrongVerifier(t *testing.T) {
	other, _ := pkce()
	r := pkceCase(t, func(f url.Values, _, _ string) { f.Set("code_verifier", other) })
	wantStatusIn(t, r, 400, 401)
}

func TestG10PKCEPlainVerifier(t *testing.T) {
	// The verifier equal to the challenge: what a plain-method client sends.
	r := pkceCase(t, func(f url.Values, _, challenge string) { f.Set("code_verifier", challenge) })
	wantStatusIn(t, r, 400, 401)
}

func TestG10PKCEGoodVerifierPasses(t *testing.T) {
	// The control for the four above: the same exchange with the right
	// verifier succeeds.
	r := pkceCase(t, func(url.Values, string, string) {})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestG10RandomRefreshToken(t *testing.T) {
	e := newEnv(t)
	clientID, _ := e.patientTokens()
	f := refreshForm(uniqueJTI() + uniqueJTI())
	f.Set("client_id", clientID)
	wantStatusIn(t, e.post("/connect/token", f), 400, 401)
}

func TestG10LimitedAccessTypeNotGranted(t *testing.T) {
	// Limited access: the patient grants Patient, Condition and Observation
	// only; the token refuses a search of AllergyIntolerance (the FHIR face
	// answers the refusal 403).
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	b.login("amy", AccountPatient)
	b.Consent([]string{"patient/Patient.rs", "patient/Condition.rs", "patient/Observation.rs"})
	tok := e.exchange(clientID, b.redirected().Get("code"), verifier)
	p, err := e.srv.Verifier().Verify(bg, tok.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.CanFHIR("AllergyIntolerance", scope.Search)
	if k := errs.KindOf(err); k != errs.Forbidden && k != errs.Unauthorized {
		t.Fatalf("search of a type not granted: %v", err)
	}
	if err := p.CanFHIR("Condition", scope.Search); err != nil {
		t.Fatalf("granted type refused: %v", err)
	}
}

func TestG10GranularReadOutsideCategory(t *testing.T) {
	// Granular scopes: a token granted only laboratory Observations allows
	// reads only through that filter (the face refuses a vital-signs one).
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, patientScopes, challenge)))
	b.login("amy", AccountPatient)
	b.Consent([]string{"patient/Patient.rs", "patient/Observation.rs?category=" + obsCategory + "|laboratory"})
	p, err := e.srv.Verifier().Verify(bg, e.exchange(clientID, b.redirected().Get("code"), verifier).str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	filters, unrestricted := p.Filters("Observation", scope.Read)
	if unrestricted || len(filters) != 1 {
		t.Fatalf("filters %v unrestricted %v", filters, unrestricted)
	}
	sys, code, _ := filters[0].Params[0].Token()
	if sys != obsCategory || code != "laboratory" {
		t.Errorf("filter %v", filters[0])
	}
}

func TestG10RevokedTokenReadingPatient(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	e.post("/connect/revoke", url.Values{"token": {tok.str("refresh_token")}, "client_id": {clientID}})
	req, _ := http.NewRequest(http.MethodGet, e.fhirBase+"/Patient/pat-1", nil)
	req.Header.Set("Authorization", "Bearer "+tok.str("access_token"))
	_, err := e.srv.Verifier().Authenticate(req)
	if s := errs.KindOf(err).Status(); s != 401 && s != 403 && s != 404 {
		t.Fatalf("revoked token: %v (status %d)", err, s)
	}
}

func TestG10RefreshAfterRevocation(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	e.post("/connect/revoke", url.Values{"token": {tok.str("access_token")}, "client_id": {clientID}})
	e.post("/connect/revoke", url.Values{"token": {tok.str("refresh_token")}, "client_id": {clientID}})
	wantStatusIn(t, e.post("/connect/token", refreshForm(tok.str("refresh_token"))), 400, 401)
}

func TestG10BackendBadGrantType(t *testing.T) {
	e := newEnv(t)
	id := e.backendClient(backendScopes)
	f := ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil))
	f.Set("grant_type", "not_a_grant_type")
	r := e.post("/connect/token", f)
	if r.status != 400 {
		t.Fatalf("status %d, want exactly 400", r.status)
	}
	wantOAuthError(t, r, 400, errUnsupportedGrantType)
}

func TestG10BackendBadAssertionType(t *testing.T) {
	e := newEnv(t)
	id := e.backendClient(backendScopes)
	f := ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil))
	f.Set("client_assertion_type", "not_an_assertion_type")
	wantStatusIn(t, e.post("/connect/token", f), 400, 401)
}

func TestG10InvalidAudIssuesNoCode(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	_, challenge := pkce()
	p := e.authParams(clientID, patientScopes, challenge)
	p.Set("aud", "https://inferno.healthit.gov/invalid_aud")
	b := e.browser()
	b.Open(e.authorizeURL(p))
	if q := b.redirected(); q.Get("code") != "" || q.Get("error") == "" {
		t.Fatalf("%v", q)
	}
}
