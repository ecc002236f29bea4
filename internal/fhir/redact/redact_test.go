package redact

import (
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
)

func TestForPatients(t *testing.T) {
	local := search.NewLocalBases("https://ehr.example.org/fhir/r4")
	const group = `{"resourceType":"Group","id":"g","type":"person","actual":true,"quantity":3,"member":[` +
		`{"entity":{"reference":"Patient/a"}},{"entity":{"reference":"https://ehr.example.org/fhir/r4/Patient/b"}},` +
		`{"entity":{"reference":"https://elsewhere.example.org/fhir/Patient/a"}}]}`
	for _, c := range []struct {
		name, rtype, body string
		patients          []string
		want              []string // substrings of the answer
		not               []string
		same              bool
	}{
		{name: "other types are served as stored", rtype: "Observation", body: `{"resourceType":"Observation"}`, patients: []string{"a"}, same: true},
		{name: "a member sees only themselves", rtype: "Group", body: group, patients: []string{"a"},
			want: []string{`"Patient/a"`, `"quantity":1`, "SUBSETTED"}, not: []string{"Patient/b", "elsewhere"}},
		{name: "a local absolute member counts", rtype: "Group", body: group, patients: []string{"b"},
			want: []string{"r4/Patient/b", `"quantity":1`}, not: []string{`"Patient/a"`}},
		{name: "no member left", rtype: "Group", body: group, patients: []string{"z"},
			want: []string{`"quantity":0`, "SUBSETTED"}, not: []string{"member"}},
		{name: "nothing removed, nothing changed", rtype: "Group", body: `{"resourceType":"Group","member":[{"entity":{"reference":"Patient/a"}}]}`,
			patients: []string{"a"}, same: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ForPatients(c.rtype, []byte(c.body), c.patients, local)
			if err != nil {
				t.Fatal(err)
			}
			if c.same && string(got) != c.body {
				t.Errorf("changed: %s", got)
			}
			for _, w := range c.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("%s lacks %s", got, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(string(got), n) {
					t.Errorf("%s shows %s", got, n)
				}
			}
		})
	}
}
