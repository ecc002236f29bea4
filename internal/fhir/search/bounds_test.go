package search

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// repeat is name=value(i) n times, joined with &.
func repeat(name string, n int, value func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = name + "=" + url.QueryEscape(value(i))
	}
	return strings.Join(parts, "&")
}

// list is n comma-separated values.
func list(n int, value func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = value(i)
	}
	return strings.Join(parts, ",")
}

func code(i int) string { return fmt.Sprintf("c%d", i) }

// TestSearchBounds: a search over a bound is refused with 400 naming the
// bound and the parameter; one at the bound is parsed.
func TestSearchBounds(t *testing.T) {
	tests := []struct {
		name, rtype, query string
		field, says        string // empty field: the query is within bounds
	}{
		{"clauses at the bound", "Observation", repeat("code", MaxClauses, code), "", ""},
		{"clauses over", "Observation", repeat("code", MaxClauses+1, code), "code", "MaxClauses"},
		{"many repeats", "Observation", repeat("code", 400, code), "code", "MaxClauses"},
		{"mixed parameters over", "Observation", repeat("code", MaxClauses, code) + "&status=final", "status", "MaxClauses"},
		{"chains count as clauses", "Observation", repeat("subject:Patient.name", MaxClauses+1, code), "subject:Patient.name", "MaxClauses"},
		{"or values at the bound", "Observation", "code=" + list(MaxOrValues, code), "", ""},
		{"or values over", "Observation", "code=" + list(MaxOrValues+1, code), "code", "MaxOrValues"},
		{"or values far over", "Observation", "code=" + list(1000, code), "code", "MaxOrValues"},
		{"or values in a chain", "Observation", "subject:Patient.name=" + list(MaxOrValues+1, code), "subject:Patient.name", "MaxOrValues"},
		{"or values in a _has", "Patient", "_has:Observation:patient:code=" + list(MaxOrValues+1, code), "_has:Observation:patient:code", "MaxOrValues"},
		{"values in total at the bound", "Observation", "code=" + list(MaxOrValues, code) + "&category=" + list(MaxValues-MaxOrValues, code), "", ""},
		{"values in total over", "Observation", "code=" + list(MaxOrValues, code) + "&category=" + list(MaxOrValues, code) + "&status=final", "status", "MaxValues"},
		// subject.name searches Patient and Location: each sub-select holds the values.
		{"chain values count per type", "Observation", "subject.name=" + list(MaxOrValues, code) + "&status=final", "subject", "MaxValues"},
		{"chain values per type at the bound", "Observation", "subject.name=" + list(MaxOrValues, code), "", ""},
		{"sort keys at the bound", "Patient", "_sort=" + list(MaxSortKeys, func(i int) string { return []string{"family", "given", "-birthdate", "_id", "_lastUpdated"}[i] }), "", ""},
		{"sort keys over", "Patient", "_sort=" + list(MaxSortKeys+1, func(int) string { return "family" }), "_sort", "MaxSortKeys"},
		{"sort keys far over", "Patient", "_sort=" + list(50, func(int) string { return "-birthdate" }), "_sort", "MaxSortKeys"},
		{"includes at the bound", "Observation", repeat("_include", maxIncludes/2, func(int) string { return "Observation:subject" }) + "&" + repeat("_revinclude", maxIncludes/2, func(int) string { return "Provenance:target" }), "", ""},
		{"includes over together", "Observation", repeat("_include", maxIncludes/2+1, func(int) string { return "Observation:subject" }) + "&" + repeat("_revinclude", maxIncludes/2, func(int) string { return "Provenance:target" }), "_include", "at most 10"},
		{"chain links over", "Encounter", "subject:Patient.organization.partof.partof.name=x", "subject:Patient.organization.partof.partof.name", "at most 3 links"},
		{"_has depth over", "Organization", "_has:Patient:organization:_has:Observation:patient:_has:Provenance:target:agent=x", "_has:Patient", "at most 2 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.field == "" {
				v, _ := url.ParseQuery(tt.query)
				if _, err := Parse(tt.rtype, v, Options{}); err != nil {
					t.Fatalf("within bounds, refused: %v", err)
				}
				return
			}
			expectParseError(t, tt.rtype, tt.query, tt.field, tt.says)
		})
	}
}

// TestSearchBoundsLenient: lenient handling ignores unknown parameters, not
// a search over a bound.
func TestSearchBoundsLenient(t *testing.T) {
	v, _ := url.ParseQuery("code=" + list(MaxOrValues+1, code))
	if _, err := Parse("Observation", v, Options{Lenient: true}); err == nil {
		t.Fatal("lenient parse accepted a search over MaxOrValues")
	}
}

// TestCheckBounds: a Query assembled from several Parse calls is held to the
// same bounds.
func TestCheckBounds(t *testing.T) {
	q := &Query{Type: "Observation"}
	for i := 0; i <= MaxClauses; i++ {
		p, err := Parse("Observation", url.Values{"code": {code(i)}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckBounds(q); err != nil {
			t.Fatalf("%d clauses refused: %v", len(q.Clauses), err)
		}
		q.Clauses = append(q.Clauses, p.Clauses...)
	}
	if err := CheckBounds(q); err == nil || !strings.Contains(err.Error(), "MaxClauses") {
		t.Fatalf("CheckBounds(%d clauses) = %v", len(q.Clauses), err)
	}
}
