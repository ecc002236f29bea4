package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// obsCategory is the code system of Observation categories.
const obsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"

// chainRecords: patients a (Alice) and b (Bob); Alice's observations were
// performed by doc1 and doc3 and one by Bob; Bob's by doc2, reported in
// DiagnosticReport drb. Code "secret"
// stands for what a patient must not learn about another patient.
// expectRefused checks that a search ("Type?param=value") is refused with
// 400 and an OperationOutcome whose expression names the parameter.
func expectRefused(t *testing.T, ts *testenv.Server, token, query string) {
	t.Helper()
	r := ts.Do("GET", "/fhir/r4/"+query, token, "")
	name, _, _ := strings.Cut(strings.SplitN(query, "?", 2)[1], "=")
	if r.Status != 400 || !strings.Contains(string(r.Body), `"expression":["`+name+`"]`) {
		t.Errorf("%s: %d %s", query, r.Status, r.Body)
	}
}

func chainRecords(t *testing.T, ts *testenv.Server, admin string) {
	obs := func(id, subject, performer, code, category string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final",` +
			`"category":[{"coding":[{"system":"` + obsCategory + `","code":"` + category + `"}]}],` +
			`"code":{"coding":[{"system":"urn:test","code":"` + code + `"}]},` +
			`"subject":{"reference":"Patient/` + subject + `"},"performer":[{"reference":"` + performer + `"}]}`
	}
	ts.PutAll(t, admin,
		`{"resourceType":"Patient","id":"a","name":[{"family":"Able","given":["Alice"]}],"birthDate":"1980-01-01"}`,
		`{"resourceType":"Patient","id":"b","name":[{"family":"Baker","given":["Bob"]}],"birthDate":"1990-01-01"}`,
		`{"resourceType":"Practitioner","id":"doc1"}`,
		`{"resourceType":"Practitioner","id":"doc2"}`,
		`{"resourceType":"Practitioner","id":"doc3"}`,
		obs("oa1", "a", "Practitioner/doc1", "secret", "vital-signs"),
		obs("oa2", "a", "Practitioner/doc3", "secret", "laboratory"),
		obs("oa3", "a", "Patient/b", "other", "vital-signs"),
		obs("ob1", "b", "Practitioner/doc2", "secret", "laboratory"),
		`{"resourceType":"DiagnosticReport","id":"drb","status":"final","code":{"text":"panel"},"subject":{"reference":"Patient/b"},"result":[{"reference":"Observation/ob1"}]}`,
	)
}

func TestChainedSearchOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		chainRecords(t, ts, admin)
		tests := []struct{ query, want string }{
			{"/fhir/r4/Observation?subject.name=alice", "match Observation/oa1,match Observation/oa2,match Observation/oa3"},
			{"/fhir/r4/Observation?subject:Patient.birthdate=ge1985", "match Observation/ob1"},
			{"/fhir/r4/Observation?performer:Patient.name=bob", "match Observation/oa3"},
			{"/fhir/r4/Observation?subject:Patient.name=alice,bob&code=secret&subject:Patient.birthdate=lt1985", "match Observation/oa1,match Observation/oa2"},
			{"/fhir/r4/Patient?_has:Observation:subject:code=secret", "match Patient/a,match Patient/b"},
			{"/fhir/r4/Patient?_has:Observation:performer:code=other", "match Patient/b"},
			{"/fhir/r4/Practitioner?_has:Observation:performer:code=secret", "match Practitioner/doc1,match Practitioner/doc2,match Practitioner/doc3"},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				r := ts.Do("GET", tt.query, admin, "")
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if got := strings.Join(testenv.Entries(t, r), ","); got != tt.want {
					t.Errorf("entries = %s, want %s", got, tt.want)
				}
				// POST _search answers the same, and the self link echoes
				// the chained parameters.
				path, query, _ := strings.Cut(tt.query, "?")
				post := ts.Do("POST", path+"/_search", admin, query, "Content-Type", "application/x-www-form-urlencoded")
				if got := strings.Join(testenv.Entries(t, post), ","); got != tt.want {
					t.Errorf("POST _search entries = %s, want %s", got, tt.want)
				}
				want, _ := url.ParseQuery(query)
				for _, l := range post.JSON(t)["link"].([]any) {
					l := l.(map[string]any)
					if l["relation"] != "self" {
						continue
					}
					u, _ := url.Parse(l["url"].(string))
					for k, v := range want {
						if got := u.Query()[k]; strings.Join(got, ",") != strings.Join(v, ",") {
							t.Errorf("self link %s: %s = %v, want %v", u, k, got, v)
						}
					}
				}
			})
		}

		// Bad chains are refused with 400 naming the parameter; lenient
		// handling ignores an unknown chained parameter.
		for _, bad := range []string{
			"Observation?subject.shoe-size=1",
			"Observation?status.name=x",
			"Observation?subject:Medication.name=x",
			"Observation?subject:Patient.birthdate=notadate",
			"Encounter?subject:Patient.organization.partof.partof.name=x",
			"Patient?_has:Nope:patient:code=x",
			"Patient?_has:Observation:status:code=x",
			"Patient?_has:Observation:encounter:code=x",
			"Patient?_has:Observation:patient:shoe-size=x",
			"Organization?_has:Patient:organization:_has:Observation:patient:_has:Provenance:target:agent=x",
		} {
			expectRefused(t, ts, admin, bad)
		}
		r := ts.Do("GET", "/fhir/r4/Observation?subject.shoe-size=1&code=other", admin, "", "Prefer", "handling=lenient")
		if r.Status != 200 || !strings.Contains(string(r.Body), `"id":"oa3"`) || strings.Contains(string(r.Body), `"id":"oa1"`) {
			t.Errorf("lenient: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(string(r.Body), "parameter ignored: subject.shoe-size") {
			t.Errorf("lenient search does not say what it ignored: %s", r.Body)
		}
	})
}

// TestChainedSearchAuthorization: a chain or _has reads resources of other
// types only as far as a direct search by the same token could.
func TestChainedSearchAuthorization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		chainRecords(t, ts, admin)
		tokA := ts.Token("patient/*.rs", "a")
		lab := "patient/Observation.rs?category=" + obsCategory + "|laboratory"
		tests := []struct {
			name, query, token string
			status             int
			want               string
		}{
			// A _has from a type outside the compartment sees only the
			// caller's own records on the far side: Alice does not learn
			// that doc2 performed a "secret" test on Bob.
			{"admin sees every performer", "Practitioner?_has:Observation:performer:code=secret", admin, 200,
				"match Practitioner/doc1,match Practitioner/doc2,match Practitioner/doc3"},
			{"patient sees own performers only", "Practitioner?_has:Observation:performer:code=secret", tokA, 200,
				"match Practitioner/doc1,match Practitioner/doc3"},
			// A forward chain into the compartment is confined too: Alice's
			// own observation names Bob as performer, but Bob's name is not
			// hers to search by.
			{"chain into another patient", "Observation?performer:Patient.name=bob", tokA, 200, ""},
			{"chain into own patient", "Observation?subject:Patient.name=alice&code=other", tokA, 200, "match Observation/oa3"},
			{"admin nested _has", "Practitioner?_has:Observation:performer:_has:DiagnosticReport:result:status=final", admin, 200, "match Practitioner/doc2"},
			{"patient nested _has", "Practitioner?_has:Observation:performer:_has:DiagnosticReport:result:status=final", tokA, 200, ""},
			// Granular scope filters apply to the far side: only
			// laboratory observations count.
			{"filtered far side", "Practitioner?_has:Observation:performer:code=secret", ts.Token(lab+" patient/Practitioner.rs", "a"), 200,
				"match Practitioner/doc3"},
			// A type the token cannot search refuses the search, as a
			// direct search of that type would.
			{"chain through an ungranted type", "Observation?subject:Patient.name=alice", ts.Token("patient/Observation.rs", "a"), 403, ""},
			{"open chain through an ungranted type", "Observation?subject.name=alice", ts.Token("patient/Observation.rs patient/Patient.rs", "a"), 403, ""},
			{"_has through an ungranted type", "Practitioner?_has:Observation:performer:code=secret", ts.Token("patient/Practitioner.rs", "a"), 403, ""},
			{"granted types", "Observation?subject:Patient.name=alice&code=other", ts.Token("patient/Observation.rs patient/Patient.rs", "a"), 200,
				"match Observation/oa3"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.Do("GET", "/fhir/r4/"+tt.query, tt.token, "")
				if r.Status != tt.status {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if tt.status != 200 {
					if !strings.Contains(string(r.Body), `"OperationOutcome"`) || !strings.Contains(string(r.Body), `"forbidden"`) {
						t.Errorf("refusal is not an OperationOutcome: %s", r.Body)
					}
					return
				}
				if got := strings.Join(testenv.Entries(t, r), ","); got != tt.want {
					t.Errorf("entries = %s, want %s", got, tt.want)
				}
			})
		}
	})
}
