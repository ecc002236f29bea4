package fhirapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

type bundleAnswer struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Response struct {
			Status, Location, Etag, LastModified string
			Outcome                              json.RawMessage
		} `json:"response"`
	} `json:"entry"`
	Issue []struct {
		Code, Diagnostics string
		Expression        []string
	} `json:"issue"`
}

func postBundle(t *testing.T, ts *testenv.Server, token, body string, headers ...string) (int, bundleAnswer) {
	t.Helper()
	r := ts.Do("POST", "/fhir/r4", token, body, headers...)
	var a bundleAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatalf("answer is not JSON (%d): %.300s", r.Status, r.Body)
	}
	return r.Status, a
}

// count is how many resources a search finds (_summary=count).
func count(t *testing.T, ts *testenv.Server, token, query string) int {
	t.Helper()
	r := ts.Do("GET", "/fhir/r4/"+query+sep(query)+"_summary=count", token, "")
	var b struct{ Total int }
	if r.Status != 200 || json.Unmarshal(r.Body, &b) != nil {
		t.Fatalf("count %s: %d %s", query, r.Status, r.Body)
	}
	return b.Total
}

func sep(q string) string {
	if strings.Contains(q, "?") {
		return "&"
	}
	return "?"
}

// TestTransactionLoadsSynthea: each Synthea Bundle loads with one POST, all
// of its entries created, its urn:uuid references pointing at the new ids.
func TestTransactionLoadsSynthea(t *testing.T) {
	dir := testenv.SyntheaDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
		for _, f := range files {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			status, a := postBundle(t, ts, tok, string(body))
			if status != 200 || a.Type != "transaction-response" {
				t.Fatalf("%s: %d %+v", filepath.Base(f), status, a.Issue)
			}
			var in struct {
				Entry []struct{ Resource struct{ ResourceType string } }
			}
			json.Unmarshal(body, &in)
			if len(a.Entry) != len(in.Entry) {
				t.Fatalf("%s: %d answers for %d entries", f, len(a.Entry), len(in.Entry))
			}
			patient, obs := "", 0
			for i, e := range a.Entry {
				if e.Response.Status != "201 Created" || !strings.Contains(e.Response.Location, "/_history/1") || e.Response.Etag != `W/"1"` || e.Response.LastModified == "" {
					t.Fatalf("%s entry %d: %+v", f, i, e.Response)
				}
				switch in.Entry[i].Resource.ResourceType {
				case "Patient":
					patient = strings.Split(e.Response.Location, "/")[1]
				case "Observation":
					obs++
				}
			}
			if patient != "" {
				if got := count(t, ts, tok, "Observation?patient="+patient); got != obs {
					t.Errorf("%s: the patient has %d observations, want %d", f, got, obs)
				}
			}
		}
	})
}

// generatedBundle makes a transaction Bundle of n seeded patients' records,
// each entry a POST with a urn:uuid fullUrl that the others refer to.
func generatedBundle(t testing.TB, patients int) (string, map[string]int) {
	var entries []string
	byType := map[string]int{}
	_, err := seed.Generate(context.Background(), seed.Options{Patients: patients, Seed: 7, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, func(r seed.Resource) error {
		if r.Type == "Group" {
			return nil
		}
		body := refPattern.ReplaceAllString(string(r.Body), `"reference":"urn:uuid:$2"`)
		body = strings.Replace(body, `"id":"`+r.ID+`",`, "", 1)
		entries = append(entries, `{"fullUrl":"urn:uuid:`+r.ID+`","resource":`+body+`,"request":{"method":"POST","url":"`+r.Type+`"}}`)
		byType[r.Type]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`, byType
}

var refPattern = regexp.MustCompile(`"reference":"([A-Za-z]+)/([0-9a-f-]{36})"`)

// TestTransactionGeneratedBundle loads seeded records through urn:uuid
// references and checks every type and patient link arrived.
func TestTransactionGeneratedBundle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
		body, byType := generatedBundle(t, 2)
		status, a := postBundle(t, ts, tok, body, "Prefer", "return=representation")
		if status != 200 {
			t.Fatalf("%d %+v", status, a.Issue)
		}
		for typ, n := range byType {
			if got := count(t, ts, tok, typ); got != n {
				t.Errorf("%s: %d stored, want %d", typ, got, n)
			}
		}
		if a.Entry[0].Resource == nil || a.Entry[0].FullURL == "" {
			t.Errorf("return=representation gave no resource: %+v", a.Entry[0])
		}
		if strings.Contains(ts.Do("GET", "/fhir/r4/Observation?_count=1000", tok, "").String(), "urn:uuid:") {
			t.Error("a stored Observation still refers to a urn:uuid")
		}
	})
}

// TestTransactionErrors: every failing entry fails the whole transaction
// with its status and an expression naming it; nothing is stored.
func TestTransactionErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:s","value":"dup"}]}`,
			`{"resourceType":"Patient","id":"p2","identifier":[{"system":"urn:s","value":"dup"}]}`,
			`{"resourceType":"Patient","id":"p3","identifier":[{"system":"urn:s","value":"one"}]}`,
		)
		writes := func() int {
			ts.App.Store.FlushAudit()
			rows, err := ts.App.Store.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rows {
				if r.Action == "create" || r.Action == "update" || r.Action == "delete" {
					n++
				}
			}
			return n
		}
		writesBefore := writes()
		first := `{"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","name":[{"family":"First"}]},"request":{"method":"POST","url":"Patient"}}`
		obs := func(ref string) string {
			return `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"` + ref + `"}},"request":{"method":"POST","url":"Observation"}}`
		}
		tx := func(entries ...string) string {
			return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
		}
		for _, c := range []struct {
			name, body, token string
			status            int
			expr              string
		}{
			{"reference to no entry", tx(first, obs("urn:uuid:bbbbbbbb-0000-4000-8000-000000000009")), admin, 400, "Bundle.entry[1].resource.subject.reference"},
			{"invalid resource", tx(first, `{"resource":{"resourceType":"Observation","status":"final","bogusElement":1,"code":{"text":"x"}},"request":{"method":"POST","url":"Observation"}}`), admin, 400, "Bundle.entry[1].resource"},
			{"resource type not the url's", tx(first, `{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Observation"}}`), admin, 400, "Bundle.entry[1].resource.resourceType"},
			{"same fullUrl twice", tx(first, first), admin, 400, "Bundle.entry[1].fullUrl"},
			{"same resource twice", tx(first, `{"resource":{"resourceType":"Patient","id":"p3"},"request":{"method":"PUT","url":"Patient/p3"}}`, `{"request":{"method":"DELETE","url":"Patient/p3"}}`), admin, 400, "Bundle.entry["},
			{"stale ifMatch", tx(first, `{"resource":{"resourceType":"Patient","id":"p3"},"request":{"method":"PUT","url":"Patient/p3","ifMatch":"W/\"7\""}}`), admin, 412, "Bundle.entry[1]"},
			{"conditional reference to none", tx(first, obs("Patient?identifier=urn:s|none")), admin, 412, "Bundle.entry[1].resource.subject.reference"},
			{"conditional reference to several", tx(first, obs("Patient?identifier=urn:s|dup")), admin, 412, "Bundle.entry[1]"},
			{"ifNoneExist matching several", tx(first, `{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:s|dup"}}`), admin, 412, "Bundle.entry[1]"},
			{"conditional update matching several", tx(first, `{"resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient?identifier=urn:s|dup"}}`), admin, 412, "Bundle.entry[1]"},
			{"delete of an unknown resource", tx(first, `{"request":{"method":"DELETE","url":"Patient/nobody"}}`), admin, 404, "Bundle.entry[1]"},
			{"unknown type", tx(first, `{"request":{"method":"DELETE","url":"Nonsense/1"}}`), admin, 400, "Bundle.entry[1].request.url"},
			{"no scope for the type", tx(first, obs("urn:uuid:aaaaaaaa-0000-4000-8000-000000000001")), ts.Token("user/Patient.cruds", ""), 403, "Bundle.entry[1]"},
			{"no search scope for a condition", tx(first, `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"}},"request":{"method":"POST","url":"Observation","ifNoneExist":"code=x"}}`), ts.Token("user/Patient.cruds user/Observation.c", ""), 403, "Bundle.entry[1]"},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := count(t, ts, admin, "Patient")
				status, a := postBundle(t, ts, c.token, c.body)
				if status != c.status {
					t.Fatalf("status %d, want %d: %+v", status, c.status, a.Issue)
				}
				if len(a.Issue) == 0 || len(a.Issue[0].Expression) == 0 || !strings.HasPrefix(a.Issue[0].Expression[0], c.expr) {
					t.Fatalf("expression does not name %s: %+v", c.expr, a.Issue)
				}
				if after := count(t, ts, admin, "Patient"); after != before {
					t.Fatalf("a failed transaction stored %d Patients", after-before)
				}
			})
		}
		// Over the entry limit: 413, with the limit named.
		many := make([]string, 10001)
		for i := range many {
			many[i] = `{"request":{"method":"GET","url":"Patient/p1"}}`
		}
		r := ts.Do("POST", "/fhir/r4/", admin, tx(many...))
		if r.Status != 413 || !strings.Contains(string(r.Body), "max-bundle-entries") {
			t.Errorf("10001 entries: %d %s", r.Status, r.Body)
		}
		// No audit row claims a write of the failed transactions.
		if n := writes() - writesBefore; n != 0 {
			t.Errorf("%d audit rows claim writes of failed transactions", n)
		}
	})
}

// TestBatch: each entry on its own; failures answered in place; GET
// entries served through the gate of a read or search.
func TestBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin, `{"resourceType":"Patient","id":"p1"}`, `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`)
		body := `{"resourceType":"Bundle","type":"batch","entry":[
			{"resource":{"resourceType":"Patient","name":[{"family":"New"}]},"request":{"method":"POST","url":"Patient"}},
			{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"bogusElement":1},"request":{"method":"POST","url":"Observation"}},
			{"request":{"method":"GET","url":"Patient/p1"}},
			{"request":{"method":"GET","url":"Observation?subject=Patient/p1"}},
			{"request":{"method":"GET","url":"Patient/nobody"}},
			{"request":{"method":"GET","url":"Observation/o1","ifNoneMatch":"W/\"1\""}},
			{"request":{"method":"GET","url":"Observation/o1","ifModifiedSince":"2999-01-01T00:00:00Z"}},
			{"request":{"method":"GET","url":"Observation/o1","ifModifiedSince":"2001-01-01T00:00:00Z"}},
			{"request":{"method":"DELETE","url":"Patient/p1"}}]}`
		want := []string{"201", "400", "200", "200", "404", "304", "304", "200", "204"}
		for _, c := range []struct {
			name  string
			token string
			want  []string
		}{
			{"patient-scoped reader", ts.Token("patient/Patient.rs patient/Observation.rs", "p1"), []string{"403", "400", "200", "200", "404", "304", "304", "200", "403"}},
			{"user", admin, want},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, a := postBundle(t, ts, c.token, body)
				if status != 200 || a.Type != "batch-response" || len(a.Entry) != len(c.want) {
					t.Fatalf("%d %+v", status, a)
				}
				for i, e := range a.Entry {
					if !strings.HasPrefix(e.Response.Status, c.want[i]) {
						t.Errorf("entry %d: %s, want %s (%s)", i, e.Response.Status, c.want[i], e.Response.Outcome)
					}
					if c.want[i] >= "400" && e.Response.Outcome == nil {
						t.Errorf("entry %d failed with no OperationOutcome", i)
					}
				}
				if e := a.Entry[0].Response; c.name == "user" && (e.LastModified == "" || !strings.HasPrefix(e.Location, "Patient/") || e.Etag != `W/"1"`) {
					t.Errorf("the created entry's response: %+v", e)
				}
				if c.name == "user" && !strings.Contains(string(a.Entry[3].Resource), `"searchset"`) {
					t.Errorf("the search entry: %s", a.Entry[3].Resource)
				}
			})
		}
	})
}

// TestPatientTransactionConfined: a patient's token writes through a
// transaction only what it could write one request at a time.
func TestPatientTransactionConfined(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin, `{"resourceType":"Patient","id":"pa"}`, `{"resourceType":"Patient","id":"pb"}`)
		tok := ts.Token("patient/*.cruds", "pa")
		own := `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}},"request":{"method":"POST","url":"Observation"}}`
		tx := func(e string) string {
			return `{"resourceType":"Bundle","type":"transaction","entry":[` + own + `,` + e + `]}`
		}
		for _, c := range []struct {
			name, entry string
			want        int
		}{
			{"another patient's observation", `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pb"}},"request":{"method":"POST","url":"Observation"}}`, 403},
			{"another patient through a urn", `{"fullUrl":"urn:uuid:cccccccc-0000-4000-8000-000000000001","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pb"}},"request":{"method":"POST","url":"Observation"}}`, 403},
			{"a shared Practitioner", `{"resource":{"resourceType":"Practitioner"},"request":{"method":"POST","url":"Practitioner"}}`, 403},
			{"another patient's Patient", `{"resource":{"resourceType":"Patient","id":"pb","gender":"male"},"request":{"method":"PUT","url":"Patient/pb"}}`, 404},
			{"delete another patient", `{"request":{"method":"DELETE","url":"Patient/pb"}}`, 404},
			{"conditional update reaching another patient", `{"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"PUT","url":"Patient?_id=pb"}}`, 403},
			{"conditional delete of another's", `{"request":{"method":"DELETE","url":"Observation?subject=Patient/pb"}}`, 200},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := count(t, ts, admin, "Observation")
				status, a := postBundle(t, ts, tok, tx(c.entry))
				if status != c.want {
					t.Fatalf("%d, want %d: %+v", status, c.want, a.Issue)
				}
				if status >= 400 && count(t, ts, admin, "Observation") != before {
					t.Fatal("the refused transaction stored its first entry")
				}
			})
		}
		if r := ts.Do("GET", "/fhir/r4/Patient/pb", admin, ""); !strings.Contains(r.String(), `"id":"pb"`) || strings.Contains(r.String(), "male") {
			t.Errorf("patient B changed: %s", r.Body)
		}
	})
}

// TestConditionalInteractions: If-None-Exist, PUT and DELETE by search.
func TestConditionalInteractions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
		ts.PutAll(t, tok,
			`{"resourceType":"Patient","id":"d1","identifier":[{"system":"urn:s","value":"dup"}]}`,
			`{"resourceType":"Patient","id":"d2","identifier":[{"system":"urn:s","value":"dup"}]}`)
		pat := func(v string) string {
			return `{"resourceType":"Patient","identifier":[{"system":"urn:s","value":"` + v + `"}]}`
		}
		steps := []struct {
			name, method, path, body string
			headers                  []string
			want                     int
		}{
			{"create, none", "POST", "/fhir/r4/Patient", pat("a"), []string{"If-None-Exist", "identifier=urn:s|a"}, 201},
			{"create, one", "POST", "/fhir/r4/Patient", pat("a"), []string{"If-None-Exist", "identifier=urn:s|a"}, 200},
			{"create, several", "POST", "/fhir/r4/Patient", pat("dup"), []string{"If-None-Exist", "identifier=urn:s|dup"}, 412},
			{"update, none", "PUT", "/fhir/r4/Patient?identifier=urn:s|b", pat("b"), nil, 201},
			{"update, one", "PUT", "/fhir/r4/Patient?identifier=urn:s|b", `{"resourceType":"Patient","gender":"female","identifier":[{"system":"urn:s","value":"b"}]}`, nil, 200},
			{"update, several", "PUT", "/fhir/r4/Patient?identifier=urn:s|dup", pat("dup"), nil, 412},
			{"update, no search", "PUT", "/fhir/r4/Patient?_count=3", pat("dup"), nil, 400},
			{"delete, several", "DELETE", "/fhir/r4/Patient?identifier=urn:s|dup", "", nil, 204},
			{"create after delete", "POST", "/fhir/r4/Patient", pat("dup"), []string{"If-None-Exist", "identifier=urn:s|dup"}, 201},
		}
		for _, s := range steps {
			r := ts.Do(s.method, s.path, tok, s.body, s.headers...)
			if r.Status != s.want {
				t.Fatalf("%s: %d, want %d: %s", s.name, r.Status, s.want, r.Body)
			}
		}
		for q, want := range map[string]int{"Patient?identifier=urn:s|a": 1, "Patient?identifier=urn:s|b&gender=female": 1, "Patient?identifier=urn:s|dup": 1} {
			if got := count(t, ts, tok, q); got != want {
				t.Errorf("%s: %d, want %d", q, got, want)
			}
		}
		// The CapabilityStatement says so.
		caps := ts.Do("GET", "/fhir/r4/metadata", "", "").String()
		for _, w := range []string{`"conditionalCreate":true`, `"conditionalUpdate":true`, `"conditionalDelete":"multiple"`, `"conditionalRead":"full-support"`, `{"code":"transaction"}`, `{"code":"batch"}`} {
			if !strings.Contains(caps, w) {
				t.Errorf("CapabilityStatement lacks %s", w)
			}
		}
	})
}

// TestConditionalCreateRace: identical conditional creates sent at once,
// to one server or to two sharing the database, make one resource.
func TestConditionalCreateRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		servers := []*testenv.Server{testenv.StartDSN(t, dsn, nil)}
		if dialect == "postgres" {
			servers = append(servers, testenv.StartDSN(t, dsn, nil))
		}
		const n = 16
		start := make(chan struct{})
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := 0; i < n; i++ {
			ts := servers[i%len(servers)]
			tok := ts.Token("user/*.cruds", "")
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req, _ := http.NewRequest("POST", ts.HTTP.URL+"/fhir/r4/Patient", strings.NewReader(`{"resourceType":"Patient","identifier":[{"system":"urn:race","value":"1"}]}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/fhir+json")
				req.Header.Set("If-None-Exist", "identifier=urn:race|1")
				<-start
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}(i)
		}
		close(start)
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case 201:
				created++
			case 200:
			default:
				t.Errorf("a conditional create answered %d", s)
			}
		}
		ts := servers[0]
		if got := count(t, ts, ts.Token("user/*.rs", ""), "Patient?identifier=urn:race|1"); got != 1 || created != 1 {
			t.Fatalf("%d Patients, %d answered 201; want one", got, created)
		}
	})
}

// TestTransactionResolvesReferences: every way an entry can be named is
// resolved wherever a reference points at it, and conditional entries and
// references find what exists.
func TestTransactionResolvesReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		tok := ts.Token("user/*.cruds", "")
		ts.PutAll(t, tok,
			`{"resourceType":"Organization","id":"org1","identifier":[{"system":"urn:org","value":"1"}]}`,
			`{"resourceType":"Patient","id":"known","identifier":[{"system":"urn:p","value":"known"}]}`,
			`{"resourceType":"Patient","id":"old"}`)
		body := `{"resourceType":"Bundle","type":"transaction","entry":[
		  {"request":{"method":"GET","url":"Patient?identifier=urn:p|new"}},
		  {"fullUrl":"http://other.example/fhir/Patient/x1","resource":{"resourceType":"Patient","identifier":[{"system":"urn:p","value":"new"}],"managingOrganization":{"reference":"Organization?identifier=urn:org|1"}},"request":{"method":"POST","url":"Patient"}},
		  {"fullUrl":"http://other.example/fhir/Observation/o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/x1"},
		     "extension":[{"url":"http://example.org/x","valueReference":{"reference":"urn:oid:1.2.3.4"}}],
		     "contained":[{"resourceType":"Provenance","id":"prov","recorded":"2026-01-01T00:00:00Z","agent":[{"who":{"reference":"urn:uuid:dddddddd-0000-4000-8000-000000000001"}}],"target":[{"reference":"Patient/x1"}]}],
		     "hasMember":[{"reference":"#prov"}]},"request":{"method":"POST","url":"Observation"}},
		  {"fullUrl":"urn:oid:1.2.3.4","resource":{"resourceType":"Practitioner"},"request":{"method":"POST","url":"Practitioner"}},
		  {"fullUrl":"urn:uuid:dddddddd-0000-4000-8000-000000000001","resource":{"resourceType":"Practitioner"},"request":{"method":"POST","url":"Practitioner"}},
		  {"fullUrl":"urn:uuid:dddddddd-0000-4000-8000-000000000002","resource":{"resourceType":"Patient","identifier":[{"system":"urn:p","value":"known"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:p|known"}},
		  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"y"},"subject":{"reference":"urn:uuid:dddddddd-0000-4000-8000-000000000002"}},"request":{"method":"PUT","url":"Observation?code=y&subject=urn:uuid:dddddddd-0000-4000-8000-000000000002"}},
		  {"request":{"method":"DELETE","url":"Patient/old"}}]}`
		status, a := postBundle(t, ts, tok, body, "Prefer", "return=representation")
		if status != 200 {
			t.Fatalf("%d %+v", status, a.Issue)
		}
		want := []string{"200", "201", "201", "201", "201", "200", "201", "204"}
		for i, e := range a.Entry {
			if !strings.HasPrefix(e.Response.Status, want[i]) {
				t.Errorf("entry %d: %s, want %s", i, e.Response.Status, want[i])
			}
		}
		id := func(i int) string { return strings.Split(a.Entry[i].Response.Location, "/")[1] }
		obs := string(a.Entry[2].Resource)
		for _, w := range []string{`"Patient/` + id(1) + `"`, `"Practitioner/` + id(3) + `"`, `"Practitioner/` + id(4) + `"`, `"#prov"`} {
			if !strings.Contains(obs, w) {
				t.Errorf("the Observation lacks %s: %s", w, obs)
			}
		}
		if !strings.Contains(string(a.Entry[1].Resource), `"Organization/org1"`) {
			t.Errorf("the conditional reference: %s", a.Entry[1].Resource)
		}
		if id(5) != "known" || !strings.Contains(string(a.Entry[6].Resource), `"Patient/known"`) {
			t.Errorf("ifNoneExist found %s; the PUT refers: %s", id(5), a.Entry[6].Resource)
		}
		// GET runs last: it sees the Patient the transaction created.
		if !strings.Contains(string(a.Entry[0].Resource), id(1)) {
			t.Errorf("the GET entry did not see the transaction's writes: %s", a.Entry[0].Resource)
		}
		if r := ts.Do("GET", "/fhir/r4/Patient/old", tok, ""); r.Status != 410 {
			t.Errorf("the DELETE entry: %d", r.Status)
		}
		if got := count(t, ts, tok, "Patient?identifier=urn:p|known"); got != 1 {
			t.Errorf("ifNoneExist wrote a second Patient: %d", got)
		}
	})
}
