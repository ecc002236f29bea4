package bulk_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// outcomeCode reads the first issue code of an OperationOutcome body.
func outcomeCode(t *testing.T, body []byte) string {
	t.Helper()
	var o struct {
		ResourceType string
		Issue        []struct{ Code, Diagnostics string }
	}
	if err := json.Unmarshal(body, &o); err != nil || o.ResourceType != "OperationOutcome" || len(o.Issue) == 0 {
		t.Fatalf("not an OperationOutcome: %s", body)
	}
	return o.Issue[0].Code
}

// TestKickoffRefusals: bad requests are refused with an OperationOutcome
// and start nothing.
func TestKickoffRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 1)
		s := e.service(nil)
		s.Routes(e.mux, "/fhir/r4")
		good := e.token("client-r", allScopes)
		future := escapePlus(e.clock.Now().Add(time.Hour).Format(time.RFC3339))
		async := []string{"Accept", "application/fhir+json", "Prefer", "respond-async"}
		tests := []struct {
			name    string
			method  string
			path    string
			token   string
			body    string
			headers []string
			status  int
		}{
			{"no token", "GET", "/fhir/r4/$export", "", "", async, 401},
			{"bad token", "GET", "/fhir/r4/$export", "not-a-token", "", async, 401},
			{"no export scope", "GET", "/fhir/r4/$export", e.token("c", "system/*.rs"), "", async, 403},
			{"Patient export scope only, system export", "GET", "/fhir/r4/$export", e.token("c", "system/Patient.$export system/*.rs"), "", async, 403},
			{"type not in the scopes", "GET", "/fhir/r4/$export?_type=Condition", e.token("c", "system/*.$export system/Observation.rs"), "", async, 403},
			{"no Prefer", "GET", "/fhir/r4/$export", good, "", []string{"Accept", "application/fhir+json"}, 400},
			{"XML Accept", "GET", "/fhir/r4/$export", good, "", []string{"Accept", "application/fhir+xml", "Prefer", "respond-async"}, 400},
			{"bad _outputFormat", "GET", "/fhir/r4/$export?_outputFormat=text/csv", good, "", async, 400},
			{"bad _since", "GET", "/fhir/r4/$export?_since=yesterday", good, "", async, 400},
			{"future _since", "GET", "/fhir/r4/$export?_since=" + future, good, "", async, 400},
			{"unknown _type", "GET", "/fhir/r4/$export?_type=Nonsense", good, "", async, 400},
			{"unknown parameter", "GET", "/fhir/r4/$export?_foo=1", good, "", async, 400},
			{"bad _typeFilter", "GET", "/fhir/r4/$export?_type=Observation&_typeFilter=Observation%3Fnosuch%3D1", good, "", async, 400},
			{"chained _typeFilter", "GET", "/fhir/r4/$export?_type=Observation&_typeFilter=Observation%3Fsubject%3APatient.name%3Dx", good, "", async, 400},
			{"_has _typeFilter", "GET", "/fhir/r4/$export?_type=Patient&_typeFilter=Patient%3F_has%3AObservation%3Apatient%3Acode%3Dx", good, "", async, 400},
			{"bad _elements", "GET", "/fhir/r4/$export?_elements=a.b.c", good, "", async, 400},
			{"bad includeAssociatedData", "GET", "/fhir/r4/$export?includeAssociatedData=_custom", good, "", async, 400},
			{"system export with patient", "GET", "/fhir/r4/$export?patient=Patient/x", good, "", async, 400},
			{"unknown Group", "GET", "/fhir/r4/Group/nosuch/$export", good, "", async, 404},
			{"POST that is not Parameters", "POST", "/fhir/r4/Patient/$export", good, `{"resourceType":"Patient"}`,
				append([]string{"Content-Type", "application/fhir+json"}, async...), 400},
			{"POST system export with patient", "POST", "/fhir/r4/$export", good,
				`{"resourceType":"Parameters","parameter":[{"name":"patient","valueReference":{"reference":"Patient/x"}}]}`,
				append([]string{"Content-Type", "application/fhir+json"}, async...), 400},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var body []byte
				if tc.body != "" {
					body = []byte(tc.body)
				}
				resp := e.do(tc.method, tc.path, tc.token, body, tc.headers...)
				b := readAll(t, resp)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
				}
				outcomeCode(t, b)
				if resp.Header.Get("Content-Location") != "" {
					t.Fatal("a refused kick-off named a status URL")
				}
			})
		}
		// Nothing was started: the client may still start one export.
		e.kickoff(good, "/fhir/r4/$export")
	})
}

// TestKickoffSpellings: the output formats the specification names, and
// instants with a zone offset whose "+" was not escaped, are accepted.
func TestKickoffSpellings(t *testing.T) {
	e := newEnv(t, "sqlite", 0)
	e.service(func(c *bulk.Config) { c.MaxActivePerClient = 100 }).Routes(e.mux, "/fhir/r4")
	tok := e.token("client-f", allScopes)
	since := e.clock.Now().Add(-time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
	for _, q := range []string{
		"_outputFormat=application%2Ffhir%2Bndjson",
		"_outputFormat=application/fhir+ndjson",
		"_outputFormat=application%2Fndjson",
		"_outputFormat=ndjson",
		"_since=" + since,
		"_since=" + escapePlus(since),
	} {
		t.Run(q, func(t *testing.T) { e.kickoff(tok, "/fhir/r4/$export?"+q) })
	}
}

// TestLenientKickoff: with handling=lenient unknown parameters are
// reported in the manifest's error file instead of refused.
func TestLenientKickoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 1)
		e.serve(e.service(nil))
		tok := e.token("client-l", allScopes)
		resp := e.do("POST", "/fhir/r4/Patient/$export", tok,
			[]byte(`{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Patient"},{"name":"_foo","valueString":"x"},{"name":"_outputFormat","valueString":"ndjson"},
				{"name":"_typeFilter","valueString":"Patient?nosuch=1"}]}`),
			"Content-Type", "application/fhir+json", "Prefer", "respond-async, handling=lenient")
		if b := readAll(t, resp); resp.StatusCode != 202 {
			t.Fatalf("lenient POST kick-off: %d %s", resp.StatusCode, b)
		}
		m := e.wait(tok, resp.Header.Get("Content-Location"))
		if len(m.Error) != 1 || len(m.Output) != 1 || m.Output[0].Type != "Patient" {
			t.Fatalf("manifest: %+v", m)
		}
		r := e.do("GET", m.Error[0].URL, tok, nil)
		if b := string(readAll(t, r)); r.StatusCode != 200 || !strings.Contains(b, "_foo") || !strings.Contains(b, "nosuch") {
			t.Fatalf("error file: %d %s", r.StatusCode, b)
		}
	})
}

// TestJobAccess: a job answers only its own client, and files only a token
// whose scopes cover their type.
func TestJobAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 1)
		e.serve(e.service(nil))
		owner := e.token("client-o", allScopes)
		status := e.kickoff(owner, "/fhir/r4/$export?_type=Patient,Observation")
		m := e.wait(owner, status)
		var obsURL string
		for _, f := range m.Output {
			if f.Type == "Observation" {
				obsURL = f.URL
			}
		}
		other := e.token("client-x", allScopes)
		narrow := e.token("client-o", "system/*.$export system/Patient.rs")
		tests := []struct {
			name, method, url, token string
			status                   int
		}{
			{"status, another client", "GET", status, other, 404},
			{"cancel, another client", "DELETE", status, other, 404},
			{"download, another client", "GET", obsURL, other, 404},
			{"download, no token", "GET", obsURL, "", 401},
			{"download, scopes not covering the type", "GET", obsURL, narrow, 403},
			{"download, no such file", "GET", strings.Replace(obsURL, "Observation", "Condition", 1), owner, 404},
			{"status, no such job", "GET", e.base + "/$bulkdata-status?job=nosuch", owner, 404},
			{"status, no token", "GET", status, "", 401},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := e.do(tc.method, tc.url, tc.token, nil)
				b := readAll(t, resp)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
				}
				outcomeCode(t, b)
			})
		}
		// The owner still has it all.
		e.download(owner, m)
	})
}

// TestCancel: DELETE cancels, after which the status URL and the files
// answer 404 and the files are gone from the disk or the database.
func TestCancel(t *testing.T) {
	eachFileStore(t, 1, func(t *testing.T, e *env) {
		s := e.service(nil)
		e.serve(s)
		tok := e.token("client-c", allScopes)
		status := e.kickoff(tok, "/fhir/r4/$export?_type=Patient")
		m := e.wait(tok, status)
		job := e.jobOf(status)
		if e.stored(job) == 0 {
			t.Fatalf("no files before cancel")
		}
		resp := e.do("DELETE", status, tok, nil)
		if b := readAll(t, resp); resp.StatusCode != 202 {
			t.Fatalf("cancel: %d %s", resp.StatusCode, b)
		}
		for _, u := range []string{status, m.Output[0].URL} {
			resp = e.do("GET", u, tok, nil)
			b := readAll(t, resp)
			if resp.StatusCode != 404 || outcomeCode(t, b) != "not-found" {
				t.Fatalf("%s after cancel: %d %s", u, resp.StatusCode, b)
			}
		}
		if n := e.stored(job); n != 0 {
			t.Fatalf("%d files or chunks left after cancel", n)
		}
		resp = e.do("DELETE", status, tok, nil)
		if b := readAll(t, resp); resp.StatusCode != 404 {
			t.Fatalf("second cancel: %d %s", resp.StatusCode, b)
		}
	})
}

// TestLimits: one export per client at a time, and polls no more often
// than allowed; both answered 429 with Retry-After.
func TestLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect, 1)
		// No runner: the first export stays queued.
		s := e.service(func(c *bulk.Config) { c.MinPoll = 10 * time.Second })
		s.Routes(e.mux, "/fhir/r4")
		tok := e.token("client-1", allScopes)
		status := e.kickoff(tok, "/fhir/r4/$export")

		resp := e.do("GET", "/fhir/r4/$export", tok, nil, "Prefer", "respond-async")
		if b := readAll(t, resp); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("second export of the client: %d %v %s", resp.StatusCode, resp.Header, b)
		}
		e.kickoff(e.token("client-2", allScopes), "/fhir/r4/$export") // other clients are not held up

		poll := func() int {
			resp := e.do("GET", status, tok, nil)
			readAll(t, resp)
			return resp.StatusCode
		}
		if got := poll(); got != 202 {
			t.Fatalf("first poll: %d", got)
		}
		if got := poll(); got != 429 {
			t.Fatalf("second poll at once: %d", got)
		}
		e.clock.Set(e.clock.Now().Add(11 * time.Second))
		if got := poll(); got != 202 {
			t.Fatalf("poll after the interval: %d", got)
		}
		// Once the first export finishes, the client may start another.
		e.startRunner(s)
		e.clock.Set(e.clock.Now().Add(time.Minute))
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp := e.do("GET", "/fhir/r4/$export", tok, nil, "Prefer", "respond-async")
			readAll(t, resp)
			if resp.StatusCode == 202 {
				break
			}
			if resp.StatusCode != 429 || time.Now().After(deadline) {
				t.Fatalf("export after the first finished: %d", resp.StatusCode)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestSweep: the files of a finished export are removed once they expire.
func TestSweep(t *testing.T) {
	eachFileStore(t, 1, func(t *testing.T, e *env) {
		s := e.service(func(c *bulk.Config) { c.FileTTL = time.Hour })
		e.serve(s)
		tok := e.token("client-s", allScopes)
		status := e.kickoff(tok, "/fhir/r4/$export?_type=Patient")
		m := e.wait(tok, status)
		e.clock.Set(e.clock.Now().Add(2 * time.Hour))
		resp := e.do("GET", m.Output[0].URL, tok, nil)
		if readAll(t, resp); resp.StatusCode != 404 {
			t.Fatalf("expired file: %d", resp.StatusCode)
		}
		if err := s.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		resp = e.do("GET", status, tok, nil)
		if readAll(t, resp); resp.StatusCode != 404 {
			t.Fatalf("swept job: %d", resp.StatusCode)
		}
		if n := e.stored(e.jobOf(status)); n != 0 {
			t.Fatalf("%d files or chunks left after the sweep", n)
		}
		if !e.inDB {
			if entries, _ := os.ReadDir(e.dir); len(entries) != 0 {
				t.Fatalf("files left after the sweep: %v", entries)
			}
		}
	})
}

func escapePlus(s string) string { return strings.ReplaceAll(s, "+", "%2B") }

var _ = http.MethodGet
