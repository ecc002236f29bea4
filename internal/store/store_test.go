package store_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

func obj(t testing.TB, s string) fhirjson.Object {
	t.Helper()
	o, err := fhirjson.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return o
}

var none = search.Compartment{}

func TestCreateReadUpdateDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		created, err := s.Create(ctx, "Patient", obj(t, `{"resourceType":"Patient","name":[{"family":"Ødegård","given":["Åse"]}],"birthDate":"1980-02-03"}`), none)
		if err != nil {
			t.Fatal(err)
		}
		if created.Version != 1 || !search.ValidID(created.ID) {
			t.Fatalf("created = %+v", created)
		}
		if !strings.HasPrefix(string(created.Body), `{"resourceType":"Patient","id":"`+created.ID+`","meta":{"lastUpdated":"`) {
			t.Fatalf("body does not lead with resourceType, id, meta: %s", created.Body)
		}
		got, err := s.Read(ctx, "Patient", created.ID, none)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Body) != string(created.Body) {
			t.Fatalf("read body differs:\n%s\n%s", got.Body, created.Body)
		}

		// A stale If-Match is refused and writes nothing.
		upd := obj(t, `{"resourceType":"Patient","id":"`+created.ID+`","name":[{"family":"Hansen"}]}`)
		if _, _, err := s.Update(ctx, "Patient", created.ID, upd, 7, none); errs.KindOf(err) != errs.Precondition {
			t.Fatalf("stale If-Match: err = %v, want Precondition", err)
		}
		v2, isNew, err := s.Update(ctx, "Patient", created.ID, upd, 1, none)
		if err != nil || isNew || v2.Version != 2 {
			t.Fatalf("update: %+v new=%v err=%v", v2, isNew, err)
		}
		old, err := s.ReadVersion(ctx, "Patient", created.ID, 1, none)
		if err != nil || !strings.Contains(string(old.Body), "Ødegård") {
			t.Fatalf("vread 1: %v %s", err, old.Body)
		}

		// Update as create keeps the client's id.
		made, isNew, err := s.Update(ctx, "Patient", "client-chosen-1", obj(t, `{"resourceType":"Patient","id":"client-chosen-1"}`), 0, none)
		if err != nil || !isNew || made.ID != "client-chosen-1" {
			t.Fatalf("update as create: %+v %v %v", made, isNew, err)
		}

		if err := s.Delete(ctx, "Patient", created.ID, none); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(ctx, "Patient", created.ID, none); errs.KindOf(err) != errs.Gone {
			t.Fatalf("read after delete: %v, want Gone", err)
		}
		if err := s.Delete(ctx, "Patient", "no-such", none); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("delete unknown: %v, want NotFound", err)
		}
		hist, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: created.ID})
		if err != nil {
			t.Fatal(err)
		}
		var methods []string
		for _, v := range hist.Versions {
			methods = append(methods, fmt.Sprintf("%d:%s", v.Version, v.Method))
		}
		if got := strings.Join(methods, ","); got != "3:DELETE,2:PUT,1:POST" {
			t.Fatalf("history = %s", got)
		}
		// The deleted patient is not found by search any more.
		res := mustSearch(t, s, "Patient", "family=hansen")
		if len(res.Resources) != 0 {
			t.Fatalf("deleted patient still found")
		}
	})
}

func mustSearch(t testing.TB, s *store.Store, rtype, query string) *store.SearchResult {
	t.Helper()
	return searchIn(t, s, rtype, query, none)
}

func searchIn(t testing.TB, s *store.Store, rtype, query string, c search.Compartment) *store.SearchResult {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, err := search.Parse(rtype, v, search.Options{})
	if err != nil {
		t.Fatalf("parse %s?%s: %v", rtype, query, err)
	}
	q.Compartment = c
	res, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %s?%s: %v", rtype, query, err)
	}
	return res
}

func ids(res *store.SearchResult) string {
	var out []string
	for _, r := range res.Resources {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func put(t testing.TB, s *store.Store, body string) {
	t.Helper()
	o := obj(t, body)
	if _, _, err := s.Update(context.Background(), o["resourceType"].(string), o["id"].(string), o, 0, none); err != nil {
		t.Fatalf("put %s: %v", body, err)
	}
}

func TestSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		put(t, s, `{"resourceType":"Patient","id":"p1","name":[{"family":"Smith","given":["Anna"]}],"gender":"female","birthDate":"1970-05-01","identifier":[{"system":"urn:mrn","value":"A1"}]}`)
		put(t, s, `{"resourceType":"Patient","id":"p2","name":[{"family":"Smithson","given":["Bo"]}],"gender":"male","birthDate":"1985"}`)
		put(t, s, `{"resourceType":"Patient","id":"p3","name":[{"family":"Jones"}],"gender":"female"}`)
		for i, p := range []string{"p1", "p1", "p2"} {
			put(t, s, fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final",
				"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
				"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/%s"},
				"effectiveDateTime":"2024-0%d-10T10:00:00Z","valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`, i+1, p, i+1, 60+10*i))
		}
		tests := []searchCase{
			{"Patient", "family=smith", "p1,p2"},
			{"Patient", "family:exact=Smith", "p1"},
			{"Patient", "family:contains=THSO", "p2"},
			{"Patient", "name=anna", "p1"},
			{"Patient", "gender=female", "p1,p3"},
			{"Patient", "gender:not=female", "p2"},
			{"Patient", "gender=female&family=smith", "p1"},
			{"Patient", "family=jones,smithson", "p2,p3"},
			{"Patient", "birthdate=1970", "p1"},
			{"Patient", "birthdate=ge1980-01-01", "p2"},
			{"Patient", "birthdate=lt1985-06", "p1,p2"},
			{"Patient", "birthdate:missing=true", "p3"},
			{"Patient", "identifier=urn:mrn|A1", "p1"},
			{"Patient", "identifier=A1", "p1"},
			{"Patient", "identifier=other|A1", ""},
			{"Patient", "_id=p2,p3", "p2,p3"},
			{"Patient", "_sort=-family", "p2,p1,p3"},
			{"Patient", "_sort=birthdate", "p1,p2,p3"},
			{"Observation", "patient=p1", "o1,o2"},
			{"Observation", "subject=Patient/p2", "o3"},
			{"Observation", "code=http://loinc.org|8867-4&patient=p1&date=2024-02", "o2"},
			{"Observation", "category=vital-signs&date=gt2024-01-31", "o2,o3"},
			{"Observation", "value-quantity=gt65", "o2,o3"},
			{"Observation", "value-quantity=70|http://unitsofmeasure.org|/min", "o2"},
			{"Observation", "_sort=-date", "o3,o2,o1"},
		}
		runSearches(t, s, tests)

		// The compartment confines a search to one patient.
		c := search.Compartment{Restricted: true, Patient: "p2"}
		if got := ids(searchIn(t, s, "Observation", "", c)); got != "o3" {
			t.Fatalf("compartment search = %q", got)
		}
		if got := ids(searchIn(t, s, "Observation", "", search.Compartment{Restricted: true})); got != "" {
			t.Fatalf("restricted without patient = %q", got)
		}
		if _, err := s.Read(context.Background(), "Observation", "o1", c); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("read outside compartment: %v", err)
		}
	})
}

func TestPagingByCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		for i := 0; i < 23; i++ {
			put(t, s, fmt.Sprintf(`{"resourceType":"Patient","id":"p%02d","name":[{"family":"F%02d"}],"birthDate":"19%02d-01-01"}`, i, 22-i, 50+i%5))
		}
		for _, sortBy := range []string{"", "_sort=family", "_sort=-birthdate,_id", "_sort=_lastUpdated"} {
			t.Run(sortBy, func(t *testing.T) {
				seen := map[string]bool{}
				query := sortBy + "&_count=5&_total=accurate"
				var cursor string
				var order []string
				for page := 0; page < 10; page++ {
					q := query
					if cursor != "" {
						q += "&_cursor=" + cursor
					}
					res := mustSearch(t, s, "Patient", q)
					if !res.HasTotal || res.Total != 23 {
						t.Fatalf("total = %d %v", res.Total, res.HasTotal)
					}
					for _, r := range res.Resources {
						if seen[r.ID] {
							t.Fatalf("%s seen twice", r.ID)
						}
						seen[r.ID] = true
						order = append(order, r.ID)
					}
					if res.Next == "" {
						break
					}
					cursor = res.Next
				}
				if len(seen) != 23 {
					t.Fatalf("paged through %d of 23: %v", len(seen), order)
				}
				if sortBy == "_sort=family" && (order[0] != "p22" || order[22] != "p00") {
					t.Fatalf("family order: %v", order)
				}
			})
		}
		v := url.Values{"_cursor": {"garbage!"}}
		q, err := search.Parse("Patient", v, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Search(context.Background(), q); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

// TestGroupCommitIsolation checks that writes sharing one commit do not
// affect each other: a failing write leaves no trace, the others land.
func TestGroupCommitIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := context.Background()
		put(t, s, `{"resourceType":"Patient","id":"dup"}`)
		var wg sync.WaitGroup
		errsOut := make([]error, 40)
		for i := range errsOut {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i%4 == 0 {
					// Import of an existing id fails as a whole.
					errsOut[i] = s.Import(ctx, []store.ImportItem{
						{Type: "Patient", ID: fmt.Sprintf("new-%d", i), Resource: obj(t, `{"resourceType":"Patient"}`)},
						{Type: "Patient", ID: "dup", Resource: obj(t, `{"resourceType":"Patient"}`)},
					})
					return
				}
				_, errsOut[i] = s.Create(ctx, "Patient", obj(t, `{"resourceType":"Patient","gender":"other"}`), none)
			}(i)
		}
		wg.Wait()
		for i, err := range errsOut {
			if i%4 == 0 {
				if errs.KindOf(err) != errs.Conflict {
					t.Fatalf("import %d: %v, want Conflict", i, err)
				}
				if _, err := s.Read(ctx, "Patient", fmt.Sprintf("new-%d", i), none); errs.KindOf(err) != errs.NotFound {
					t.Fatalf("half of a failed import was written: %v", err)
				}
			} else if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
		}
		n, err := s.Count(ctx, "Patient")
		if err != nil || n != 31 {
			t.Fatalf("count = %d, %v; want 31", n, err)
		}
	})
}

func TestAuditRowsWithWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := store.WithRequest(context.Background(), store.RequestInfo{RequestID: "r1", Actor: "user-1", ClientID: "c1", Method: "POST", Path: "/fhir/r4/Observation"})
		put(t, s, `{"resourceType":"Patient","id":"pa"}`)
		r, err := s.Create(ctx, "Observation", obj(t, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}}`), none)
		if err != nil {
			t.Fatal(err)
		}
		s.RecordAccess(ctx, store.AuditEvent{Action: "read", Type: "Observation", ResID: r.ID, Patient: "pa", Status: 200})
		s.FlushAudit()
		evs, err := s.ListAudit(context.Background(), store.AuditFilter{Actor: "user-1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[1].Action != "create" || evs[1].Patient != "pa" || evs[0].Action != "read" || evs[0].Status != 200 {
			t.Fatalf("audit = %+v", evs)
		}
		_ = time.Now
	})
}
