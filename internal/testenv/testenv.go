// Package testenv is the end-to-end test environment: the whole server on
// a temporary SQLite database or, with EMP_TEST_POSTGRES, a fresh
// PostgreSQL database (package storetest), served over real HTTP, with
// tokens minted by the server itself (Token, PatientToken, Mint),
// site settings switched as an administrator does (Set), records put in
// place through the store (Create, SeedPatients), a person's browser with
// a cookie jar (Browser) and a clock the test moves forward (Clock). A
// face's package tests its answers through it from an external test
// package (fhirapi_test, api_test…), since the server imports the faces.
package testenv

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/httpbrowser"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// Server is the whole server over real HTTP on one database.
type Server struct {
	T    testing.TB
	App  *server.App
	HTTP *httptest.Server
}

// Start starts a server on a new database of the dialect (see
// storetest.Each); edit, when not nil, changes the configuration first.
// The base URL is the server's own address unless edit sets another.
func Start(t testing.TB, dialect string, edit func(*server.Config)) *Server {
	t.Helper()
	return StartDSN(t, storetest.DSN(t, dialect), edit)
}

// StartDSN is Start on the database dsn names: a second node of one site
// is started on the first one's database.
func StartDSN(t testing.TB, dsn string, edit func(*server.Config)) *Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	// The read cache on, as emp serve has it (on PostgreSQL; SQLite has
	// none), so that every face's tests read through it.
	cfg := server.Config{DB: dsn, BaseURL: "http://" + srv.Listener.Addr().String(), ReadCacheMB: server.DefaultReadCacheMB}
	if edit != nil {
		edit(&cfg)
	}
	app, err := server.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop, err := app.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); stop(); app.Close() })
	return &Server{T: t, App: app, HTTP: srv}
}

// Token mints an access token of subject "tester" and client
// "test-client" with the scopes, in the patient's context when patient is
// not empty, valid for an hour.
func (s *Server) Token(scope, patient string) string {
	s.T.Helper()
	return s.Mint(server.TokenRequest{Subject: "tester", ClientID: "test-client", Scope: scope, Patient: patient, TTL: time.Hour})
}

// Mint mints the token req asks for (see server.App.MintToken).
func (s *Server) Mint(req server.TokenRequest) string {
	s.T.Helper()
	tok, err := s.App.MintToken(context.Background(), req)
	if err != nil {
		s.T.Fatal(err)
	}
	return tok
}

// Response is an answer read whole (the browser's answers are of the
// same type).
type Response = httpbrowser.Response

// Do sends a request with the bearer token (none when empty) and a FHIR
// JSON body (none when empty); headers are name, value pairs.
func (s *Server) Do(method, path, token string, body string, headers ...string) Response {
	s.T.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
		headers = append([]string{"Content-Type", "application/fhir+json"}, headers...)
	}
	req := httpbrowser.Request(s.T, method, s.HTTP.URL+path, token, rd, headers...)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// PutAll stores resources through the FHIR face with the token, each
// under the id it carries; any answer but 201 fails the test.
func (s *Server) PutAll(t testing.TB, token string, bodies ...string) {
	t.Helper()
	for _, body := range bodies {
		typ := strings.Split(strings.Split(body, `"resourceType":"`)[1], `"`)[0]
		id := strings.Split(strings.Split(body, `"id":"`)[1], `"`)[0]
		if r := s.Do("PUT", "/fhir/r4/"+typ+"/"+id, token, body); r.Status != 201 {
			t.Fatalf("PUT %s/%s: %d %s", typ, id, r.Status, r.Body)
		}
	}
}

// Entries lists "mode Type/id" for each entry of a searchset.
func Entries(t testing.TB, r Response) []string {
	t.Helper()
	var out []string
	list, _ := r.JSON(t)["entry"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		res := m["resource"].(map[string]any)
		mode := m["search"].(map[string]any)["mode"].(string)
		out = append(out, mode+" "+res["resourceType"].(string)+"/"+res["id"].(string))
	}
	return out
}
