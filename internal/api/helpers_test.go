package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// testEnv is the whole server (package testenv) with the standard API
// switched on, and the names this package's tests use.
type testEnv struct {
	*testenv.Server
	t testing.TB
	// staff holds every /api/ scope.
	staff string
}

func newTestEnv(t testing.TB, dialect string) *testEnv {
	t.Helper()
	e := &testEnv{Server: testenv.Start(t, dialect, nil), t: t}
	e.Set(t, server.SettingStandardAPI, "on")
	e.staff = e.token("api:oemr user/*.cruds")
	return e
}

// token mints a token with the scopes (role from the scopes; see
// server.App.MintToken).
func (e *testEnv) token(scopes string) string { return e.Token(scopes, "") }

// patientToken mints a patient's token.
func (e *testEnv) patientToken(scopes, patient string) string { return e.PatientToken(scopes, patient) }

// answer is a decoded envelope.
type answer struct {
	Status           int
	ValidationErrors map[string]map[string]string
	Data             json.RawMessage
	Links            *api.Links
	Message          string
	Raw              []byte
	Header           http.Header
}

// do sends a request with a JSON body (a string is sent as it is) and
// decodes the envelope.
func (e *testEnv) do(method, path, token string, body any) answer {
	e.t.Helper()
	var raw string
	switch b := body.(type) {
	case nil:
	case string:
		raw = b
	default:
		j, _ := json.Marshal(b)
		raw = string(j)
	}
	return e.envelope(method, path, e.Do(method, path, token, raw, "Content-Type", "application/json"))
}

// envelope decodes an answer of the API.
func (e *testEnv) envelope(method, path string, r testenv.Response) answer {
	e.t.Helper()
	a := answer{Status: r.Status, Raw: r.Body, Header: r.Header}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var env struct {
			ValidationErrors json.RawMessage `json:"validationErrors"`
			Data             json.RawMessage `json:"data"`
			Links            *api.Links      `json:"links"`
			Message          string          `json:"message"`
		}
		if err := json.Unmarshal(r.Body, &env); err != nil {
			e.t.Fatalf("%s %s: not an envelope: %v: %s", method, path, err, r.Body)
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
	var c api.PatientCreated
	a.into(e.t, &c)
	return c.UUID, c.Pid
}
