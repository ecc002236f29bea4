package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// testEnv is the face over a fresh store, served by a real HTTP server,
// with an issuer of tokens the face accepts.
type testEnv struct {
	t   testing.TB
	s   *store.Store
	srv *httptest.Server
	ti  *authztest.Issuer
	// staff holds every /api/ scope.
	staff string
}

const testBase = "https://ehr.example.org"

func newTestEnv(t testing.TB, dialect string) *testEnv {
	t.Helper()
	s := storetest.Open(t, dialect, store.Options{})
	ti := authztest.NewIssuer(t, testBase, testBase+"/fhir/r4")
	h := New(Config{Store: s, Gate: ti.Verifier(), BaseURL: testBase, Version: "test"})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &testEnv{t: t, s: s, srv: srv, ti: ti}
	e.staff = e.token("api:oemr user/*.cruds")
	return e
}

// token mints a token with the scopes (role from the scopes; see authz).
func (e *testEnv) token(scopes string) string {
	return e.ti.Token(authz.Claims{Scope: scopes})
}

// patientToken mints a patient's token.
func (e *testEnv) patientToken(scopes, patient string) string {
	return e.ti.Token(authz.Claims{Scope: scopes, Patient: patient, Role: authz.RolePatient, Subject: "pt-" + patient})
}

// answer is a decoded envelope.
type answer struct {
	Status           int
	ValidationErrors map[string]map[string]string
	Data             json.RawMessage
	Links            *Links
	Message          string
	Raw              []byte
	Header           http.Header
}

// do sends a request with a JSON body (a string is sent as it is) and
// decodes the envelope.
func (e *testEnv) do(method, path, token string, body any) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Raw: raw, Header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var env struct {
			ValidationErrors json.RawMessage `json:"validationErrors"`
			Data             json.RawMessage `json:"data"`
			Links            *Links          `json:"links"`
			Message          string          `json:"message"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			e.t.Fatalf("%s %s: not an envelope: %v: %s", method, path, err, raw)
		}
		a.Data, a.Links, a.Message = env.Data, env.Links, env.Message
		if len(env.ValidationErrors) > 0 && env.ValidationErrors[0] == '{' {
			json.Unmarshal(env.ValidationErrors, &a.ValidationErrors)
		}
	}
	return a
}

// must is do that fails the test unless the status is want.
func (e *testEnv) must(want int, method, path, token string, body any) answer {
	e.t.Helper()
	a := e.do(method, path, token, body)
	if a.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.Status, want, a.Raw)
	}
	return a
}

// into decodes the envelope's data.
func (a answer) into(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Data, v); err != nil {
		t.Fatalf("data: %v: %s", err, a.Data)
	}
}

// fhirCreate writes a resource through the store, as a FHIR client would.
func (e *testEnv) fhirCreate(body string) string {
	e.t.Helper()
	o, err := fhirjson.Decode([]byte(body))
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.s.Create(context.Background(), o["resourceType"].(string), o, search.Compartment{})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// fhirRead reads a resource from the store as decoded JSON.
func (e *testEnv) fhirRead(rtype, id string) fhirjson.Object {
	e.t.Helper()
	r, err := e.s.Read(context.Background(), rtype, id, search.Compartment{})
	if err != nil {
		e.t.Fatalf("read %s/%s: %v", rtype, id, err)
	}
	o, err := fhirjson.Decode(r.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// count is the number of current resources of a type.
func (e *testEnv) count(rtype string) int {
	e.t.Helper()
	res, err := e.s.Search(context.Background(), &search.Query{Type: rtype, Count: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(res.Resources)
}

// eachDB runs fn on SQLite and, when configured, PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, e *testEnv)) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		fn(t, newTestEnv(t, dialect))
	})
}

// newPatient creates a patient through the API and returns its uuid and pid.
func (e *testEnv) newPatient(fname, lname string) (string, int64) {
	e.t.Helper()
	a := e.must(201, "POST", "/api/patient", e.staff, map[string]any{"fname": fname, "lname": lname, "sex": "Female", "DOB": "1980-02-03"})
	var c PatientCreated
	a.into(e.t, &c)
	return c.UUID, c.Pid
}

func jsonUnmarshal(b []byte, v any) { json.Unmarshal(b, v) }

// jsonData fills a.Data from an envelope.
func jsonData(raw []byte, a *answer) {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &env) == nil {
		a.Data = env.Data
	}
}
