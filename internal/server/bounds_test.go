package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// codes is n distinct codes joined with sep after name= (sep "&code=" for
// repeats, "," for OR'ed values).
func codes(n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("http://loinc.org|c%d", i)
	}
	return strings.Join(parts, sep)
}

// TestSearchBoundsOverHTTP: a search over a bound is refused with 400 and an
// OperationOutcome that names the bound and the parameter, on every face
// that searches (FHIR search, /api/ lists, Bulk _typeFilter); a search at
// the bound runs on both databases. Before the bounds, PostgreSQL planned
// 400 repeats of one parameter for minutes and SQLite answered 500 for 500
// OR'ed values.
func TestSearchBoundsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		ts.putAll(t, admin,
			`{"resourceType":"Patient","id":"pb","name":[{"family":"Bound"}]}`,
			`{"resourceType":"Observation","id":"ob","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"c0"}]},"subject":{"reference":"Patient/pb"}}`,
		)
		patient := ts.token("patient/*.rs", "pb")
		sorts := func(n int) string { return strings.Repeat("-date,", n-1) + "date" }
		tests := []struct {
			name, path string
			status     int
			field      string // the expression of the OperationOutcome
			says       string // in its diagnostics
		}{
			{"clauses at the bound", "/fhir/r4/Observation?code=" + codes(search.MaxClauses, "&code="), 200, "", ""},
			{"clauses over", "/fhir/r4/Observation?code=" + codes(search.MaxClauses+1, "&code="), 400, "code", "at most 32 parameters"},
			{"400 repeats", "/fhir/r4/Observation?code=" + codes(400, "&code="), 400, "code", "MaxClauses"},
			{"or values at the bound", "/fhir/r4/Observation?code=" + codes(search.MaxOrValues, ","), 200, "", ""},
			{"or values over", "/fhir/r4/Observation?code=" + codes(search.MaxOrValues+1, ","), 400, "code", "at most 100 comma-separated values"},
			{"500 or values", "/fhir/r4/Observation?code=" + codes(500, ","), 400, "code", "MaxOrValues"},
			{"values over in total", "/fhir/r4/Observation?code=" + codes(search.MaxOrValues, ",") + "&code=" + codes(search.MaxOrValues, ",") + "&status=final", 400, "status", "at most 200 values"},
			{"or values in a chain", "/fhir/r4/Observation?subject:Patient.name=" + codes(search.MaxOrValues+1, ","), 400, "subject:Patient.name", "MaxOrValues"},
			{"sort keys at the bound", "/fhir/r4/Observation?_sort=" + sorts(search.MaxSortKeys), 200, "", ""},
			{"sort keys over", "/fhir/r4/Observation?_sort=" + sorts(search.MaxSortKeys+1), 400, "_sort", "at most 5 sort keys"},
			{"50 sort keys", "/fhir/r4/Observation?_sort=" + sorts(50), 400, "_sort", "MaxSortKeys"},
			{"chain links over", "/fhir/r4/Encounter?subject:Patient.organization.partof.partof.name=x", 400, "subject:Patient.organization.partof.partof.name", "at most 3 links"},
			{"_has depth over", "/fhir/r4/Organization?_has:Patient:organization:_has:Observation:patient:_has:Provenance:target:agent=x", 400, "_has:Patient:organization:_has:Observation:patient:_has:Provenance:target:agent", "at most 2 deep"},
			{"includes over", "/fhir/r4/Observation?" + strings.Repeat("_include=Observation:subject&", 6) + strings.Repeat("_revinclude=Provenance:target&", 5), 400, "_include", "at most 10"},
			{"lenient handling keeps the bounds", "/fhir/r4/Observation?code=" + codes(search.MaxOrValues+1, ","), 400, "code", "MaxOrValues"},
		}
		for _, tok := range []struct{ name, token string }{{"user", admin}, {"patient", patient}} {
			for _, tt := range tests {
				t.Run(tok.name+"/"+tt.name, func(t *testing.T) {
					r := ts.do("GET", tt.path, tok.token, "", "Prefer", "handling=lenient")
					if r.status != tt.status {
						t.Fatalf("%d %s", r.status, r.body)
					}
					if tt.status == 200 {
						return
					}
					oo := r.json(t)
					issue := oo["issue"].([]any)[0].(map[string]any)
					expr, _ := issue["expression"].([]any)
					if oo["resourceType"] != "OperationOutcome" || len(expr) != 1 || expr[0] != tt.field ||
						!strings.Contains(issue["diagnostics"].(string), tt.says) {
						t.Fatalf("outcome %s, want expression %q saying %q", r.body, tt.field, tt.says)
					}
				})
			}
		}

		// The Bulk Data _typeFilter is parsed as a search and held to the same bounds.
		bulk := ts.bulkToken(t)
		filter := url.QueryEscape("Observation?code=" + codes(search.MaxOrValues+1, ","))
		r := ts.do("GET", "/fhir/r4/$export?_type=Observation&_typeFilter="+filter, bulk, "", "Accept", "application/fhir+json", "Prefer", "respond-async")
		if r.status != 400 || !strings.Contains(string(r.body), "MaxOrValues") {
			t.Errorf("_typeFilter over a bound: %d %s", r.status, r.body)
		}
	})
}

// TestAPIListBoundsOverHTTP: the /api/ list filters are parsed one field at
// a time; what they add up to is held to the bounds of one search, and the
// envelope names the field and the bound.
func TestAPIListBoundsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		if err := ts.app.Store.SetSetting(context.Background(), server.SettingStandardAPI, "on"); err != nil {
			t.Fatal(err)
		}
		staff := ts.token("api:oemr user/patient.read", "")
		names := func(n int, sep string) string {
			parts := make([]string, n)
			for i := range parts {
				parts[i] = fmt.Sprintf("n%d", i)
			}
			return strings.Join(parts, sep)
		}
		tests := []struct {
			name, query string
			status      int
			field, says string
		}{
			{"repeats at the bound", "fname=" + names(search.MaxClauses, "&fname="), 200, "", ""},
			{"repeats over", "fname=" + names(search.MaxClauses+1, "&fname="), 400, "fname", "MaxClauses"},
			{"or values over", "lname=" + names(search.MaxOrValues+1, ","), 400, "lname", "MaxOrValues"},
			{"values over in total", "city=" + names(search.MaxOrValues, ",") + "&fname=" + names(search.MaxOrValues, ",") + "&lname=x", 400, "lname", "MaxValues"},
			{"sort keys over", "_sort=" + names(search.MaxSortKeys+1, ","), 400, "_sort", "MaxSortKeys"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do("GET", "/api/patient?"+tt.query, staff, "")
				if r.status != tt.status {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if tt.status == 200 {
					return
				}
				ve, _ := r.json(t)["validationErrors"].(map[string]any)
				if !strings.Contains(fmt.Sprint(ve[tt.field]), tt.says) {
					t.Fatalf("validationErrors %v, want %q saying %q", ve, tt.field, tt.says)
				}
			})
		}
	})
}

// newTestServerWith is newTestServer with the configuration edited first.
func newTestServerWith(t *testing.T, dialect string, edit func(*server.Config)) *testServer {
	t.Helper()
	return wrap(t, testenv.Start(t, dialect, edit))
}

// TestSearchTimeoutOverHTTP: a search stopped by the search timeout is
// answered 503 with Retry-After, as an OperationOutcome on the FHIR face and
// an envelope on /api/; a read is not a search and is not affected. The
// timeout is 1 ns: every search's deadline has passed before its first
// statement, whatever the machine's speed (the store's
// TestSearchTimeoutStopsTheStatement shows a running statement stopped).
func TestSearchTimeoutOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServerWith(t, dialect, func(c *server.Config) { c.SearchTimeout = time.Nanosecond })
		if err := ts.app.Store.SetSetting(context.Background(), server.SettingStandardAPI, "on"); err != nil {
			t.Fatal(err)
		}
		admin := ts.token("user/*.cruds", "")
		ts.putAll(t, admin, `{"resourceType":"Patient","id":"pt","name":[{"family":"Slow"}]}`)
		if r := ts.do("GET", "/fhir/r4/Patient/pt", admin, ""); r.status != 200 {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
		for _, tok := range []string{admin, ts.token("patient/*.rs", "pt")} {
			r := ts.do("GET", "/fhir/r4/Patient?name=slow", tok, "")
			if r.status != 503 || r.header.Get("Retry-After") == "" {
				t.Fatalf("search: %d %v %s", r.status, r.header, r.body)
			}
			issue := r.json(t)["issue"].([]any)[0].(map[string]any)
			if issue["code"] != "transient" || !strings.Contains(issue["diagnostics"].(string), "longer than the server allows") {
				t.Fatalf("outcome: %s", r.body)
			}
		}
		staff := ts.token("api:oemr user/patient.read", "")
		r := ts.do("GET", "/api/patient?lname=Slow", staff, "")
		if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(r.json(t)["message"].(string), "longer than the server allows") {
			t.Fatalf("/api/ list: %d %s", r.status, r.body)
		}
	})
}

// TestSearchShareOverHTTP: a patient's token runs at most its share of the
// database pool in searches at once (a quarter of the pool), as many more
// wait, and any beyond are answered 429 with Retry-After; another patient's
// searches go through meanwhile; when the held searches end, the waiting
// ones are answered. The test holds the patient's running slots itself
// (exactly what a search in flight holds), so nothing depends on timing.
func TestSearchShareOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		ts.putAll(t, admin,
			`{"resourceType":"Patient","id":"pa","name":[{"family":"Share"}]}`,
			`{"resourceType":"Patient","id":"pq","name":[{"family":"Other"}]}`,
		)
		pa, pq := ts.token("patient/*.rs", "pa"), ts.token("patient/*.rs", "pq")
		ctx := context.Background()
		ss := ts.app.Store.SearchShares()
		who := store.Searcher(store.WithSearcher(ctx, "pa", "tester", "test-client"))
		k := ss.Limit()
		var held []func()
		for range k {
			release, err := ss.Acquire(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, release)
		}
		defer func() {
			for _, r := range held {
				r()
			}
		}()
		statuses := make(chan int, k)
		for range k {
			go func() {
				req, _ := http.NewRequest("GET", ts.srv.URL+"/fhir/r4/Patient?name=share", nil)
				req.Header.Set("Authorization", "Bearer "+pa)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
		for i := 0; ss.Waiting(who) < k; i++ {
			if i > 1e7 {
				t.Fatal("the searches never queued")
			}
			runtime.Gosched()
		}
		r := ts.do("GET", "/fhir/r4/Patient?name=share", pa, "")
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Fatalf("search over the share: %d %v %s", r.status, r.header, r.body)
		}
		if issue := r.json(t)["issue"].([]any)[0].(map[string]any); issue["code"] != "throttled" {
			t.Fatalf("outcome: %s", r.body)
		}
		// Reads are not searches; another patient's searches go through.
		if r := ts.do("GET", "/fhir/r4/Patient/pa", pa, ""); r.status != 200 {
			t.Fatalf("read during the searches: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Patient?name=other", pq, ""); r.status != 200 || len(entries(t, r)) != 1 {
			t.Fatalf("another patient's search: %d %s", r.status, r.body)
		}
		for _, r := range held {
			r()
		}
		held = nil
		for range k {
			if st := <-statuses; st != 200 {
				t.Fatalf("a waiting search: %d", st)
			}
		}
	})
}
