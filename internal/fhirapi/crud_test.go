package fhirapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

func TestFHIRCrudOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")

		r := ts.Do("POST", "/fhir/r4/Patient", tok, `{"resourceType":"Patient","name":[{"family":"Lovelace","given":["Ada"]}],"gender":"female","birthDate":"1815-12-10"}`)
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		loc := r.Header.Get("Location")
		if !strings.HasPrefix(loc, ts.HTTP.URL+"/fhir/r4/Patient/") || !strings.HasSuffix(loc, "/_history/1") {
			t.Fatalf("Location = %q", loc)
		}
		if r.Header.Get("ETag") != `W/"1"` || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/fhir+json") {
			t.Fatalf("headers = %v", r.Header)
		}
		id := r.JSON(t)["id"].(string)

		// The type name is accepted in any case, and the bytes are those stored.
		got := ts.Do("GET", "/fhir/r4/patient/"+id, tok, "")
		if got.Status != 200 || !bytes.Equal(got.Body, r.Body) {
			t.Fatalf("read: %d %s", got.Status, got.Body)
		}
		if nm := ts.Do("GET", "/fhir/r4/Patient/"+id, tok, "", "If-None-Match", `W/"1"`); nm.Status != 304 {
			t.Fatalf("If-None-Match: %d", nm.Status)
		}

		upd := fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"family":"King"}],"gender":"female"}`, id)
		if r := ts.Do("PUT", "/fhir/r4/Patient/"+id, tok, upd, "If-Match", `W/"9"`); r.Status != 412 {
			t.Fatalf("stale If-Match: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("PUT", "/fhir/r4/Patient/"+id, tok, upd, "If-Match", `W/"1"`); r.Status != 200 || r.Header.Get("ETag") != `W/"2"` {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("GET", "/fhir/r4/Patient/"+id+"/_history/1", tok, ""); r.Status != 200 || !strings.Contains(string(r.Body), "Lovelace") {
			t.Fatalf("vread: %d %s", r.Status, r.Body)
		}
		h := ts.Do("GET", "/fhir/r4/Patient/"+id+"/_history", tok, "").JSON(t)
		if h["type"] != "history" || len(h["entry"].([]any)) != 2 {
			t.Fatalf("history: %v", h)
		}
		s := ts.Do("GET", "/fhir/r4/Patient?family=king&_total=accurate", tok, "").JSON(t)
		if s["total"].(float64) != 1 {
			t.Fatalf("search: %v", s)
		}
		// POST _search gives the same answer.
		req, _ := http.NewRequest("POST", ts.HTTP.URL+"/fhir/r4/Patient/_search", strings.NewReader("family=king&_total=accurate"))
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

		if r := ts.Do("DELETE", "/fhir/r4/Patient/"+id, tok, ""); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("GET", "/fhir/r4/Patient/"+id, tok, ""); r.Status != 410 {
			t.Fatalf("read deleted: %d %s", r.Status, r.Body)
		}
	})
}

// TestFHIRBadInput checks that nothing malformed gets a 500 or a write.
func TestFHIRBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
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
				r := ts.Do(tt.method, tt.path, token, tt.body, tt.headers...)
				if r.Status != tt.status || !strings.Contains(string(r.Body), tt.want) {
					t.Fatalf("%s %s: %d %s; want %d containing %q", tt.method, tt.path, r.Status, r.Body, tt.status, tt.want)
				}
				if m := r.JSON(t); m["resourceType"] != "OperationOutcome" {
					t.Fatalf("not an OperationOutcome: %s", r.Body)
				}
			})
		}
		// Nothing above was written.
		if s := ts.Do("GET", "/fhir/r4/Patient?_summary=count", tok, "").JSON(t); s["total"].(float64) != 0 {
			t.Fatalf("a bad request wrote something: %v", s)
		}
	})
}

// TestPatientTokenSeesOnlyItsPatient checks the compartment confinement of
// patient/ scopes on read, search and write.
func TestPatientTokenSeesOnlyItsPatient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		for _, p := range []string{"a", "b"} {
			ts.Do("PUT", "/fhir/r4/Patient/"+p, admin, `{"resourceType":"Patient","id":"`+p+`"}`)
			ts.Do("PUT", "/fhir/r4/Observation/obs-"+p, admin, `{"resourceType":"Observation","id":"obs-`+p+`","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/`+p+`"}}`)
		}
		ts.Do("PUT", "/fhir/r4/Practitioner/doc", admin, `{"resourceType":"Practitioner","id":"doc"}`)
		tokA := ts.Token("patient/*.rs", "a")
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
			if r := ts.Do(c.method, c.path, tokA, ""); r.Status != c.status {
				t.Errorf("%s %s = %d, want %d: %s", c.method, c.path, r.Status, c.status, r.Body)
			}
		}
		for _, q := range []string{"/fhir/r4/Observation", "/fhir/r4/Observation?patient=b", "/fhir/r4/Patient", "/fhir/r4/Observation/_history"} {
			r := ts.Do("GET", q, tokA, "")
			if strings.Contains(string(r.Body), `"obs-b"`) || strings.Contains(string(r.Body), `"id":"b"`) {
				t.Errorf("%s leaks patient b: %s", q, r.Body)
			}
		}
		// A type not granted is 403.
		tokObs := ts.Token("patient/Observation.rs", "a")
		if r := ts.Do("GET", "/fhir/r4/Condition", tokObs, ""); r.Status != 403 {
			t.Errorf("ungranted type: %d", r.Status)
		}
	})
}
