package store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// chainFixture stores two organizations, patients that belong to them, a
// location, observations about each, and encounters and reports that point
// at those. Patient p4 is deleted: nothing may match through it.
func chainFixture(t *testing.T, s *store.Store) {
	t.Helper()
	for _, body := range []string{
		`{"resourceType":"Organization","id":"org1","name":"Acme Health"}`,
		`{"resourceType":"Organization","id":"org2","name":"Beta Clinic"}`,
		`{"resourceType":"Patient","id":"p1","name":[{"family":"Smith","given":["Peter"]}],"gender":"male","birthDate":"1985-04-01","identifier":[{"system":"urn:mrn","value":"A1"}],"managingOrganization":{"reference":"Organization/org1"}}`,
		`{"resourceType":"Patient","id":"p2","name":[{"family":"Jones","given":["Petra"]}],"gender":"female","birthDate":"1970-01-01","identifier":[{"system":"urn:mrn","value":"B2"}],"managingOrganization":{"reference":"Organization/org2"}}`,
		`{"resourceType":"Patient","id":"p3","name":[{"family":"Berg","given":["Anna"]}],"birthDate":"1990"}`,
		`{"resourceType":"Patient","id":"p4","name":[{"family":"Gone","given":["Peter"]}],"gender":"male"}`,
		`{"resourceType":"Location","id":"loc1","name":"Peterborough ward"}`,
		`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"subject":{"reference":"Patient/p1"}}`,
		`{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"subject":{"reference":"Patient/p2"}}`,
		`{"resourceType":"Observation","id":"o3","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"999-9"}]},"subject":{"reference":"Patient/p1"}}`,
		`{"resourceType":"Observation","id":"o4","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"subject":{"reference":"Location/loc1"}}`,
		`{"resourceType":"Observation","id":"o5","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"subject":{"reference":"Patient/p4"}}`,
		`{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"}}`,
		`{"resourceType":"Encounter","id":"e2","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p2"}}`,
		`{"resourceType":"DiagnosticReport","id":"dr1","status":"final","code":{"text":"panel"},"result":[{"reference":"Observation/o1"}]}`,
		`{"resourceType":"DiagnosticReport","id":"dr2","status":"final","code":{"text":"panel"},"result":[{"reference":"Observation/o3"}]}`,
	} {
		put(t, s, body)
	}
	if err := s.Delete(context.Background(), "Patient", "p4", none); err != nil {
		t.Fatal(err)
	}
}

func TestChainedSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		chainFixture(t, s)
		tests := []searchCase{
			// Forward chains: the type left open searches every target
			// type that has the parameter (Patient and Location here).
			{"Observation", "subject.name=peter", "o1,o3,o4"},
			{"Observation", "subject:Patient.name=peter", "o1,o3"},
			{"Observation", "subject:Location.name=peter", "o4"},
			{"Observation", "subject:Patient.name=peter,petra", "o1,o2,o3"},
			{"Observation", "subject:Patient.name:exact=Peter", "o1,o3"},
			{"Observation", "subject:Patient.name:exact=peter", ""},
			{"Observation", "subject:Patient.name:contains=etr", "o2"},
			{"Observation", "subject.birthdate=ge1980", "o1,o3"},
			{"Observation", "subject:Patient.birthdate=lt1980", "o2"},
			{"Observation", "patient.identifier=urn:mrn|B2", "o2"},
			{"Observation", "patient.identifier=B2", "o2"},
			{"Observation", "patient.identifier=other|B2", ""},
			{"Observation", "subject:Patient._id=p2", "o2"},
			{"Observation", "subject:Patient.gender:not=male", "o2"},
			{"Observation", "subject:Patient.gender:missing=true", ""},
			{"Observation", "subject:Patient.name=peter&code=1234-5", "o1"},
			// Repeated chained parameters are AND.
			{"Observation", "subject:Patient.name=pe&subject:Patient.birthdate=1970", "o2"},
			{"Observation", "subject:Patient.name=peter&subject:Patient.birthdate=1970", ""},
			{"DiagnosticReport", "result.code=1234-5", "dr1"},
			{"DiagnosticReport", "result.code=999-9,1234-5", "dr1,dr2"},
			// Multi-level chains.
			{"Encounter", "subject.organization.name=acme", "e1"},
			{"Encounter", "subject:Patient.organization:Organization.name=beta", "e2"},
			{"DiagnosticReport", "result.subject:Patient.organization.name=acme", "dr1,dr2"},
			// Reverse chains.
			{"Patient", "_has:Observation:patient:code=1234-5", "p1,p2"},
			{"Patient", "_has:Observation:patient:code=999-9", "p1"},
			{"Patient", "_has:Observation:subject:code=1234-5&gender=female", "p2"},
			{"Patient", "_has:Observation:patient:code=nothing", ""},
			{"Patient", "_has:Encounter:subject:status=finished&_has:Observation:patient:code=999-9", "p1"},
			{"Observation", "_has:DiagnosticReport:result:status=final", "o1,o3"},
			{"Organization", "_has:Patient:organization:_has:Observation:patient:code=999-9", "org1"},
			{"Organization", "_has:Patient:organization:identifier=B2", "org2"},
		}
		runSearches(t, s, tests)

		// Paging by cursor and counting work with chains on either side.
		for _, tt := range []searchCase{
			{"Observation", "subject.name=pe", "o1,o2,o3,o4"},
			{"Patient", "_has:Observation:patient:code=1234-5,999-9", "p1,p2"},
			// Identity-selective far sides drive the search.
			{"Observation", "patient.identifier=A1,B2", "o1,o2,o3"},
			{"Organization", "_has:Patient:organization:identifier=A1,B2", "org1,org2"},
		} {
			v, _ := url.ParseQuery(tt.query + "&_count=1&_total=accurate")
			q, err := search.Parse(tt.rtype, v, search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for page := 0; page < 10; page++ {
				res, err := s.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if int(res.Total) != len(strings.Split(tt.want, ",")) {
					t.Errorf("%s: total %d", tt.query, res.Total)
				}
				got = append(got, ids(res))
				if res.Next == "" {
					break
				}
				q.Cursor = res.Next
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("%s paged: %v, want %s", tt.query, got, tt.want)
			}
		}
	})
}

// TestChainLinkConfinement: the far side of a chain honours the link's
// compartment and scope filters, which the FHIR face sets from the caller.
func TestChainLinkConfinement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		chainFixture(t, s)
		parse := func(rtype, query string) *search.Query {
			v, _ := url.ParseQuery(query)
			q, err := search.Parse(rtype, v, search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return q
		}
		run := func(q *search.Query) string {
			res, err := s.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			return ids(res)
		}
		confine := func(q *search.Query, patient string) {
			search.Links(q.Clauses, func(l *search.Link) error {
				if l.Type == "Patient" || l.Type == "Observation" {
					l.Compartment = search.Compartment{Restricted: true, Patient: patient}
				}
				return nil
			})
		}
		q := parse("Observation", "subject:Patient.name=pe")
		confine(q, "p2")
		if got := run(q); got != "o2" {
			t.Errorf("confined forward chain = %q, want o2", got)
		}
		q = parse("Organization", "_has:Patient:organization:_has:Observation:patient:code=1234-5")
		confine(q, "p2")
		if got := run(q); got != "org2" {
			t.Errorf("confined nested _has = %q, want org2", got)
		}
		// A scope filter on the far type (Observation.rs?code=999-9).
		q = parse("Patient", "_has:Observation:patient:status=final")
		filter := parse("Observation", "code=999-9")
		q.Clauses[0].Has.AnyOf = [][]search.Clause{filter.Clauses}
		if got := run(q); got != "p1" {
			t.Errorf("filtered _has = %q, want p1", got)
		}
	})
}
