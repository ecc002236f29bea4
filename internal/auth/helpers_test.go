package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpbrowser"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/go-jose/go-jose/v4"
)

var bg = context.Background()

// Client keys are slow to make: one of each per test binary.
var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	otherRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	ecKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

// publicJWKS is the JWKS of public keys, each with its kid.
func publicJWKS(t testing.TB, keys map[string]any) string {
	t.Helper()
	var set jose.JSONWebKeySet
	for kid, k := range keys {
		var pub any
		switch k := k.(type) {
		case *rsa.PrivateKey:
			pub = k.Public()
		case *ecdsa.PrivateKey:
			pub = k.Public()
		default:
			pub = k
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kid, Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// patientDir is a PatientDirectory over a fixed list.
type patientDir []PatientSummary

func (d patientDir) SearchPatients(ctx context.Context, q string, limit int) ([]PatientSummary, error) {
	var out []PatientSummary
	for _, p := range d {
		if strings.Contains(strings.ToLower(p.Name), strings.ToLower(q)) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (d patientDir) Patient(ctx context.Context, id string) (PatientSummary, error) {
	for _, p := range d {
		if p.ID == id {
			return p, nil
		}
	}
	return PatientSummary{}, errs.E(errs.NotFound, "no patient %s", id)
}

// env is an authorization server on a real HTTP listener, with a store in
// the test's temporary folder (SQLite), a settable clock and cheap password
// hashing.
type env struct {
	t        testing.TB
	clock    *storetest.Clock
	store    *store.Store
	keys     *authz.KeyRing
	srv      *Server
	ts       *httptest.Server
	base     string
	fhirBase string
	tokenURL string
}

const appRedirect = "https://app.example/callback"

func newEnv(t testing.TB, mods ...func(*Config)) *env {
	t.Helper()
	var h atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	ck := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st := storetest.Open(t, "sqlite", store.Options{Now: ck.Now})
	keys := authz.NewKeyRing(st, ck.Now, nil)
	cfg := Config{
		Storage: st, Keys: keys, Issuer: ts.URL, FHIRBase: ts.URL + "/fhir/r4", Now: ck.Now,
		Revocation: authz.NewRevocationCache(st, authz.RevocationCacheOptions{Now: ck.Now}),
		Passwords:  PBKDF2{Iterations: 1000},
		Patients: patientDir{
			{ID: "pat-1", Name: "Amy Shaw", BirthDate: "1987-02-20", Gender: "female"},
			{ID: "pat-2", Name: "Bob Stone", BirthDate: "1950-07-01", Gender: "male"},
		},
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Store(http.Handler(srv))
	return &env{t: t, clock: ck, store: st, keys: keys, srv: srv, ts: ts, base: ts.URL,
		fhirBase: ts.URL + "/fhir/r4", tokenURL: ts.URL + "/connect/token"}
}

// register adds an approved client as the operator would.
func (e *env) register(md ClientMetadata) Registered {
	e.t.Helper()
	reg, err := e.srv.Register(bg, md, true)
	if err != nil {
		e.t.Fatalf("register: %v", err)
	}
	return reg
}

const patientScopes = "launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Condition.rs patient/AllergyIntolerance.rs"

func (e *env) publicClient() string {
	return e.register(ClientMetadata{ClientName: "Patient App", RedirectURIs: []string{appRedirect},
		TokenEndpointAuthMethod: AuthNone, Scope: patientScopes}).ClientID
}

func (e *env) confidentialClient(scopes string) (id, secret string) {
	reg := e.register(ClientMetadata{ClientName: "Clinic App", RedirectURIs: []string{appRedirect},
		TokenEndpointAuthMethod: AuthClientSecretBasic, Scope: scopes, InitiateLoginURI: "https://app.example/launch",
		PostLogoutRedirectURIs: []string{"https://app.example/bye"}})
	return reg.ClientID, reg.ClientSecret
}

// backendClient registers a private_key_jwt client with the RS384 and ES384
// test keys by value.
func (e *env) backendClient(scopes string) string {
	jwks := publicJWKS(e.t, map[string]any{"rs-1": rsaKey(), "ec-1": ecKey()})
	return e.register(ClientMetadata{ClientName: "Backend", JWKS: json.RawMessage(jwks), Scope: scopes,
		GrantTypes: []string{GrantClientCredentials}}).ClientID
}

func (e *env) addPatientUser(username, patient string) {
	e.t.Helper()
	if _, err := e.srv.AddPatientUser(bg, NewPatientUser{Username: username, Password: "correct horse", Patient: patient, Name: "Amy Shaw", Email: "amy@example.org"}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) addClinician(username, practitioner string) {
	e.t.Helper()
	if _, err := e.srv.AddUser(bg, NewUser{Username: username, Password: "correct horse", Role: authz.RoleClinician, Practitioner: practitioner, Name: "Dr Jones"}); err != nil {
		e.t.Fatal(err)
	}
}

// assertion signs client assertion claims with the key, alg and kid;
// extra header fields go into the protected header.
func assertion(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any, header map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for k, v := range header {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := sig.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertionClaims are valid claims for the client at the clock's now.
func (e *env) assertionClaims(clientID string) map[string]any {
	now := e.clock.Now()
	return map[string]any{
		"iss": clientID, "sub": clientID, "aud": e.tokenURL,
		"exp": now.Add(4 * time.Minute).Unix(), "iat": now.Unix(),
		"jti": uniqueJTI(),
	}
}

// uniqueJTI gives claims a jti no other test used.
func uniqueJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// result is a decoded HTTP answer.
type result struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r result) str(k string) string { s, _ := r.json[k].(string); return s }

func do(t testing.TB, c *http.Client, req *http.Request) result {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	res := result{status: resp.StatusCode, header: resp.Header, body: body}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(body) > 0 {
		json.Unmarshal(body, &res.json)
	}
	return res
}

// post sends a form to the server path; mod may change the request.
func (e *env) post(path string, form url.Values, mod ...func(*http.Request)) result {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, m := range mod {
		m(req)
	}
	return do(e.t, nil, req)
}

func (e *env) get(path string, mod ...func(*http.Request)) result {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
	for _, m := range mod {
		m(req)
	}
	return do(e.t, nil, req)
}

func basic(id, secret string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// wantOAuthError checks an RFC 6749 error answer.
func wantOAuthError(t testing.TB, r result, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("error answer headers: Cache-Control %q Pragma %q", r.header.Get("Cache-Control"), r.header.Get("Pragma"))
	}
}

// pkce is a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// browser is the tests' shared cookie browser, following redirects
// within the authorization server and stopping at the app's redirect URI,
// as the app's own page would receive it.
type browser struct{ *httpbrowser.Browser }

func (e *env) browser() browser { return browser{httpbrowser.Following(e.t, e.base)} }

// authorizeURL builds an authorize request.
func (e *env) authorizeURL(params url.Values) string {
	return e.base + "/connect/authorize?" + params.Encode()
}

// authParams are the usual parameters of a standalone launch.
func (e *env) authParams(clientID, scopes, challenge string) url.Values {
	v := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {appRedirect},
		"scope": {scopes}, "state": {"st-123"}, "aud": {e.fhirBase}, "nonce": {"n-1"},
	}
	if challenge != "" {
		v.Set("code_challenge", challenge)
		v.Set("code_challenge_method", "S256")
	}
	return v
}

// redirected is the query the app's redirect URI received, with 303 See
// Other; it fails the test when the browser was not sent back to the app.
func (b browser) redirected() url.Values {
	b.T.Helper()
	if b.Last.Status != http.StatusSeeOther {
		b.T.Fatalf("expected a 303 redirect to the app, got %d at %s: %s", b.Last.Status, b.URL, b.Last.Body)
	}
	return b.Redirected(appRedirect)
}

// login signs in on the login page.
func (b browser) login(username, kind string) httpbrowser.Response {
	b.T.Helper()
	if !strings.Contains(b.URL.Path, "/connect/login") {
		b.T.Fatalf("not on the login page but %s (%d): %s", b.URL, b.Last.Status, b.Last.Body)
	}
	return b.Submit(url.Values{"username": {username}, "password": {"correct horse"}, "user_role": {kind}})
}

// codeFlow runs a standalone launch for a patient user through the pages
// and returns the code, the verifier and the app's redirect query.
func (e *env) codeFlow(clientID, scopes string) (code, verifier string) {
	e.t.Helper()
	verifier, challenge := pkce()
	b := e.browser()
	b.Open(e.authorizeURL(e.authParams(clientID, scopes, challenge)))
	b.login("amy", AccountPatient)
	b.Consent(nil)
	q := b.redirected()
	if q.Get("state") != "st-123" || q.Get("code") == "" {
		e.t.Fatalf("redirect query %v", q)
	}
	return q.Get("code"), verifier
}

// exchange redeems a code as a public client.
func (e *env) exchange(clientID, code, verifier string) result {
	e.t.Helper()
	return e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {appRedirect}, "client_id": {clientID}, "code_verifier": {verifier}})
}

// patientTokens runs a whole patient standalone launch and returns the
// token response.
func (e *env) patientTokens() (clientID string, tok result) {
	e.t.Helper()
	e.addPatientUser("amy", "pat-1")
	clientID = e.publicClient()
	code, verifier := e.codeFlow(clientID, patientScopes)
	tok = e.exchange(clientID, code, verifier)
	if tok.status != http.StatusOK {
		e.t.Fatalf("token exchange: %d %s", tok.status, tok.body)
	}
	return clientID, tok
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
