package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
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
	r := ts.Do(method, path, token, body, headers...)
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

func TestFHIRCrudOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		tok := ts.token("user/*.cruds", "")

		r := ts.do("POST", "/fhir/r4/Patient", tok, `{"resourceType":"Patient","name":[{"family":"Lovelace","given":["Ada"]}],"gender":"female","birthDate":"1815-12-10"}`)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		loc := r.header.Get("Location")
		if !strings.HasPrefix(loc, ts.srv.URL+"/fhir/r4/Patient/") || !strings.HasSuffix(loc, "/_history/1") {
			t.Fatalf("Location = %q", loc)
		}
		if r.header.Get("ETag") != `W/"1"` || !strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+json") {
			t.Fatalf("headers = %v", r.header)
		}
		id := r.json(t)["id"].(string)

		// The type name is accepted in any case, and the bytes are those stored.
		got := ts.do("GET", "/fhir/r4/patient/"+id, tok, "")
		if got.status != 200 || !bytes.Equal(got.body, r.body) {
			t.Fatalf("read: %d %s", got.status, got.body)
		}
		if nm := ts.do("GET", "/fhir/r4/Patient/"+id, tok, "", "If-None-Match", `W/"1"`); nm.status != 304 {
			t.Fatalf("If-None-Match: %d", nm.status)
		}

		upd := fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"family":"King"}],"gender":"female"}`, id)
		if r := ts.do("PUT", "/fhir/r4/Patient/"+id, tok, upd, "If-Match", `W/"9"`); r.status != 412 {
			t.Fatalf("stale If-Match: %d %s", r.status, r.body)
		}
		if r := ts.do("PUT", "/fhir/r4/Patient/"+id, tok, upd, "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/"+id+"/_history/1", tok, ""); r.status != 200 || !strings.Contains(string(r.body), "Lovelace") {
			t.Fatalf("vread: %d %s", r.status, r.body)
		}
		h := ts.do("GET", "/fhir/r4/Patient/"+id+"/_history", tok, "").json(t)
		if h["type"] != "history" || len(h["entry"].([]any)) != 2 {
			t.Fatalf("history: %v", h)
		}
		s := ts.do("GET", "/fhir/r4/Patient?family=king&_total=accurate", tok, "").json(t)
		if s["total"].(float64) != 1 {
			t.Fatalf("search: %v", s)
		}
		// POST _search gives the same answer.
		req, _ := http.NewRequest("POST", ts.srv.URL+"/fhir/r4/Patient/_search", strings.NewReader("family=king&_total=accurate"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ps map[string]any
		json.NewDecoder(resp.Body).Decode(&ps)
		resp.Body.Close()
		if ps["total"].(float64) != 1 || ps["link"].([]any)[0].(map[string]any)["url"] != s["link"].([]any)[0].(map[string]any)["url"] {
			t.Fatalf("POST _search differs: %v vs %v", ps, s)
		}

		if r := ts.do("DELETE", "/fhir/r4/Patient/"+id, tok, ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/"+id, tok, ""); r.status != 410 {
			t.Fatalf("read deleted: %d %s", r.status, r.body)
		}
	})
}

// TestFHIRBadInput checks that nothing malformed gets a 500 or a write.
func TestFHIRBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		tok := ts.token("user/*.cruds", "")
		big := `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">` + strings.Repeat("x", 9<<20) + `</div>"}}`
		tests := []struct {
			name, method, path, body string
			headers                  []string
			status                   int
			want                     string
		}{
			{"no token", "GET", "/fhir/r4/Patient", "", nil, 401, "login"},
			{"bad token", "GET", "/fhir/r4/Patient", "", []string{"Authorization", "Bearer abc.def.ghi"}, 401, "login"},
			{"unknown type", "GET", "/fhir/r4/Nonsense", "", nil, 404, "unknown resource type"},
			{"malformed json", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient",`, nil, 400, "malformed JSON"},
			{"wrong type in body", "POST", "/fhir/r4/Patient", `{"resourceType":"Observation"}`, nil, 400, "resourceType"},
			{"repeated member", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","gender":"male","gender":"female"}`, nil, 400, `member \"gender\" appears twice`},
			{"invalid utf-8", "POST", "/fhir/r4/Patient", "{\"resourceType\":\"Patient\",\"gender\":\"\xff\"}", nil, 400, "not valid UTF-8"},
			{"unknown element", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","nmae":[]}`, nil, 400, "Patient.nmae"},
			{"bad date", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","birthDate":"2024-13-45"}`, nil, 400, "Patient.birthDate"},
			{"wrong content type", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient"}`, []string{"Content-Type", "text/plain"}, 415, "Content-Type"},
			{"xml only", "GET", "/fhir/r4/Patient", "", []string{"Accept", "application/fhir+xml"}, 406, "not-supported"},
			{"too large", "POST", "/fhir/r4/Patient", big, nil, 413, "too-long"},
			{"unknown search param", "GET", "/fhir/r4/Patient?shoe-size=12", "", nil, 400, "shoe-size"},
			{"sql in search", "GET", "/fhir/r4/Patient?birthdate=2020'%20OR%201=1--", "", nil, 400, "birthdate"},
			{"sql in id", "GET", "/fhir/r4/Patient/1'%20OR%20'1'='1", "", nil, 400, "id"},
			{"bad count", "GET", "/fhir/r4/Patient?_count=-1", "", nil, 400, "_count"},
			{"id mismatch", "PUT", "/fhir/r4/Patient/abc", `{"resourceType":"Patient","id":"xyz"}`, nil, 400, "does not match"},
			{"bad If-Match", "PUT", "/fhir/r4/Patient/abc", `{"resourceType":"Patient","id":"abc"}`, []string{"If-Match", "nope"}, 400, "If-Match"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				token := tok
				if tt.name == "no token" || tt.name == "bad token" {
					token = ""
				}
				r := ts.do(tt.method, tt.path, token, tt.body, tt.headers...)
				if r.status != tt.status || !strings.Contains(string(r.body), tt.want) {
					t.Fatalf("%s %s: %d %s; want %d containing %q", tt.method, tt.path, r.status, r.body, tt.status, tt.want)
				}
				if m := r.json(t); m["resourceType"] != "OperationOutcome" {
					t.Fatalf("not an OperationOutcome: %s", r.body)
				}
			})
		}
		// Nothing above was written.
		if s := ts.do("GET", "/fhir/r4/Patient?_summary=count", tok, "").json(t); s["total"].(float64) != 0 {
			t.Fatalf("a bad request wrote something: %v", s)
		}
	})
}

// TestPatientTokenSeesOnlyItsPatient checks the compartment confinement of
// patient/ scopes on read, search and write.
func TestPatientTokenSeesOnlyItsPatient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		for _, p := range []string{"a", "b"} {
			ts.do("PUT", "/fhir/r4/Patient/"+p, admin, `{"resourceType":"Patient","id":"`+p+`"}`)
			ts.do("PUT", "/fhir/r4/Observation/obs-"+p, admin, `{"resourceType":"Observation","id":"obs-`+p+`","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/`+p+`"}}`)
		}
		ts.do("PUT", "/fhir/r4/Practitioner/doc", admin, `{"resourceType":"Practitioner","id":"doc"}`)
		tokA := ts.token("patient/*.rs", "a")
		checks := []struct {
			method, path string
			status       int
		}{
			{"GET", "/fhir/r4/Patient/a", 200},
			{"GET", "/fhir/r4/Patient/b", 404},
			{"GET", "/fhir/r4/Observation/obs-a", 200},
			{"GET", "/fhir/r4/Observation/obs-b", 404},
			{"GET", "/fhir/r4/Observation/obs-b/_history/1", 404},
			{"GET", "/fhir/r4/Practitioner/doc", 200},
			{"DELETE", "/fhir/r4/Observation/obs-a", 403},
		}
		for _, c := range checks {
			if r := ts.do(c.method, c.path, tokA, ""); r.status != c.status {
				t.Errorf("%s %s = %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
			}
		}
		for _, q := range []string{"/fhir/r4/Observation", "/fhir/r4/Observation?patient=b", "/fhir/r4/Patient", "/fhir/r4/Observation/_history"} {
			r := ts.do("GET", q, tokA, "")
			if strings.Contains(string(r.body), `"obs-b"`) || strings.Contains(string(r.body), `"id":"b"`) {
				t.Errorf("%s leaks patient b: %s", q, r.body)
			}
		}
		// A type not granted is 403.
		tokObs := ts.token("patient/Observation.rs", "a")
		if r := ts.do("GET", "/fhir/r4/Condition", tokObs, ""); r.status != 403 {
			t.Errorf("ungranted type: %d", r.status)
		}
	})
}
