package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/testenv"
)

// testServer is the test environment's server (package testenv), with
// the names this package's tests use.
type testServer struct {
	*testenv.Server
	t   *testing.T
	app *server.App
	srv *httptest.Server
}

func wrap(t *testing.T, env *testenv.Server) *testServer {
	return &testServer{Server: env, t: t, app: env.App, srv: env.HTTP}
}

func newTestServer(t *testing.T, dialect string) *testServer {
	t.Helper()
	return wrap(t, testenv.Start(t, dialect, nil))
}

func (ts *testServer) token(scope, patient string) string {
	ts.t.Helper()
	return ts.Token(scope, patient)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	return testenv.Response{Status: r.status, Header: r.header, Body: r.body}.JSON(t)
}

func (ts *testServer) do(method, path, token string, body string, headers ...string) response {
	ts.t.Helper()
	return fromEnv(ts.Do(method, path, token, body, headers...))
}

// fromEnv is an answer of the test environment with this package's names.
func fromEnv(r testenv.Response) response {
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// putAll stores resources through the FHIR face as the administrator.
func (ts *testServer) putAll(t *testing.T, token string, bodies ...string) {
	t.Helper()
	ts.PutAll(t, token, bodies...)
}

// entries lists "mode Type/id" for each entry of a searchset.
func entries(t *testing.T, r response) []string {
	t.Helper()
	return testenv.Entries(t, testenv.Response{Status: r.status, Header: r.header, Body: r.body})
}

func (r response) String() string { return string(r.body) }
