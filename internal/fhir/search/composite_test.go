package search

import (
	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/spec"
)

func TestParseComposite(t *testing.T) {
	tests := []struct {
		rtype, query string
		check        func(*testing.T, []Value)
	}{
		{"Observation", "code-value-quantity=http://loinc.org|8480-6$gt120", func(t *testing.T, vs []Value) {
			p := vs[0].Parts
			if len(vs) != 1 || len(p) != 2 || p[0].System != "http://loinc.org" || p[0].Code != "8480-6" || !p[0].HasSystem ||
				p[1].Prefix != Gt || p[1].Num != 120 || p[1].Code != "" {
				t.Errorf("values = %+v", vs)
			}
		}},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$ge140|http://unitsofmeasure.org|mm[Hg]", func(t *testing.T, vs []Value) {
			q := vs[0].Parts[1]
			if q.Prefix != Ge || q.Num != 140 || q.System != "http://unitsofmeasure.org" || q.Code != "mm[Hg]" || !q.HasSystem {
				t.Errorf("quantity part = %+v", q)
			}
		}},
		// Comma between whole composite values is OR.
		{"Observation", "code-value-concept=8480-6$http://snomed.info/sct|1,8462-4$2", func(t *testing.T, vs []Value) {
			if len(vs) != 2 || vs[0].Parts[1].Code != "1" || vs[0].Parts[1].System != "http://snomed.info/sct" ||
				vs[1].Parts[0].Code != "8462-4" || vs[1].Parts[1].Code != "2" || vs[1].Parts[1].HasSystem {
				t.Errorf("values = %+v", vs)
			}
		}},
		{"Observation", "code-value-date=x$ge2020", func(t *testing.T, vs []Value) {
			d := vs[0].Parts[1]
			if d.Prefix != Ge || d.Low != micros("2020-01-01T00:00:00Z") {
				t.Errorf("date part = %+v", d)
			}
		}},
		// \$ is a dollar inside a part, \, a comma.
		{"Observation", `code-value-string=x$Price: 5 \$\, net`, func(t *testing.T, vs []Value) {
			if len(vs) != 1 || vs[0].Parts[1].Text != "price: 5 $, net" {
				t.Errorf("string part = %+v", vs)
			}
		}},
		{"Observation", `code-value-string=a\$b$c`, func(t *testing.T, vs []Value) {
			if vs[0].Parts[0].Code != "a$b" || vs[0].Parts[1].Text != "c" {
				t.Errorf("parts = %+v", vs[0].Parts)
			}
		}},
		{"Group", "characteristic-value=gender$female", func(t *testing.T, vs []Value) {
			if vs[0].Parts[0].Code != "gender" || vs[0].Parts[1].Code != "female" {
				t.Errorf("parts = %+v", vs[0].Parts)
			}
		}},
		{"Observation", "code-value-quantity:missing=true", func(t *testing.T, vs []Value) {
			if len(vs) != 1 || !vs[0].Missing {
				t.Errorf("values = %+v", vs)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, err := url.ParseQuery(strings.ReplaceAll(tt.query, "+", "%2B"))
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(tt.rtype, v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(q.Clauses) != 1 || q.Clauses[0].Param.Type != spec.ParamComposite {
				t.Fatalf("clauses = %+v", q.Clauses)
			}
			tt.check(t, q.Clauses[0].Values)
		})
	}
	// Repeated is AND: two clauses.
	v, _ := url.ParseQuery("combo-code-value-quantity=a$1&combo-code-value-quantity=b$2")
	q, err := Parse("Observation", v, Options{})
	if err != nil || len(q.Clauses) != 2 {
		t.Errorf("repeated composite: %v, %+v", err, q)
	}
}

// Every refusal of a composite names the parameter, and says what is wrong.
func TestParseCompositeErrors(t *testing.T) {
	tests := []struct{ rtype, query, field, says string }{
		{"Observation", "code-value-quantity=8480-6", "code-value-quantity", "2 parts"},
		{"Observation", "code-value-quantity=8480-6$1$2", "code-value-quantity", "2 parts"},
		{"Observation", "code-value-quantity=8480-6$abc", "code-value-quantity", "value-quantity"},
		{"Observation", "code-value-quantity=8480-6$", "code-value-quantity", "empty"},
		{"Observation", "code-value-quantity=$120", "code-value-quantity", "empty"},
		{"Observation", "code-value-date=x$2020-13", "code-value-date", "not a valid date"},
		{"Observation", "code-value-quantity:exact=x$1", "code-value-quantity:exact", "modifier"},
		{"Observation", "code-value-quantity:missing=maybe", "code-value-quantity:missing", "true or false"},
		{"DocumentReference", "relationship=Foo/1$replaces", "relationship", "unknown resource type"},
		{"MolecularSequence", "chromosome-window-coordinate=1$lt345$gt123", "chromosome-window-coordinate", "not supported"},
		{"Observation", "_sort=code-value-quantity", "_sort", "cannot sort"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) { expectParseError(t, tt.rtype, tt.query, tt.field, tt.says) })
	}
}

// A composite pairs values of the same element only: a blood pressure panel
// pairs systolic with its own value and diastolic with its own.
func TestExtractCompositePairsOneElement(t *testing.T) {
	e := Extract("Observation", decode(t, `{
		"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"Blood pressure"},
		"component":[
			{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":100,"system":"http://unitsofmeasure.org","code":"mm[Hg]","unit":"mmHg"}},
			{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":150,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
			{"code":{"text":"no coding"},"valueQuantity":{"value":7}}
		]}`))
	got := map[string]float64{}
	for _, c := range e.Composites {
		switch c.Param {
		case "component-code-value-quantity":
			if c.TSystem != "http://loinc.org" || c.System != "http://unitsofmeasure.org" || c.Code != "mm[Hg]" {
				t.Errorf("row = %+v", c)
			}
			if prev, ok := got[c.Param+" "+c.TCode]; ok {
				t.Errorf("%s %s paired twice: %v and %v", c.Param, c.TCode, prev, c.Value)
			}
			got[c.Param+" "+c.TCode] = c.Value
		default:
			t.Errorf("unexpected composite row %+v", c)
		}
	}
	// combo-code-value-quantity shares these rows (spec.SearchParam.RowsOf).
	want := map[string]float64{
		"component-code-value-quantity 8480-6": 100, "component-code-value-quantity 8462-4": 150,
	}
	if len(got) != len(want) {
		t.Errorf("pairs = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestExtractCompositeTypes(t *testing.T) {
	e := Extract("Observation", decode(t, `{
		"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"a"},{"code":"b"}]},
		"valueDateTime":"2021-06-01"}`))
	var n int
	for _, c := range e.Composites {
		if c.Param == "code-value-date" && c.DateLow == micros("2021-06-01T00:00:00Z") && c.DateHigh == micros("2021-06-01T23:59:59.999999Z") {
			n++
		}
	}
	if n != 2 || len(e.Composites) != 2 {
		t.Errorf("composites = %+v", e.Composites)
	}
	e = Extract("Observation", decode(t, `{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"code":"a"}]},"valueString":"Trace Ámounts"}`))
	if len(e.Composites) != 1 || e.Composites[0].Param != "code-value-string" || e.Composites[0].Norm != "trace amounts" {
		t.Errorf("composites = %+v", e.Composites)
	}
	e = Extract("Group", decode(t, `{"resourceType":"Group","type":"person","actual":true,
		"characteristic":[{"code":{"coding":[{"code":"gender"}]},"valueCodeableConcept":{"coding":[{"system":"s","code":"female"}]},"exclude":false},
		                  {"code":{"coding":[{"code":"smoker"}]},"valueBoolean":true,"exclude":false}]}`))
	pairs := map[string]bool{}
	for _, c := range e.Composites {
		pairs[c.Param+" "+c.TCode+" "+c.System+"|"+c.Code] = true
	}
	if len(pairs) != 2 || !pairs["characteristic-value gender s|female"] || !pairs["characteristic-value smoker |true"] {
		t.Errorf("composites = %v", pairs)
	}
}

// Searchable lists the composites the engine indexes and no others.
func TestSearchableComposites(t *testing.T) {
	for _, tt := range []struct {
		rtype, code string
		want        bool
	}{
		{"Observation", "code-value-quantity", true},
		{"Observation", "code-value-concept", true},
		{"Observation", "code-value-date", true},
		{"Observation", "code-value-string", true},
		{"Observation", "combo-code-value-quantity", true},
		{"Observation", "component-code-value-concept", true},
		{"Group", "characteristic-value", true},
		{"ValueSet", "context-type-quantity", true},
		{"Library", "context-type-value", true},
		{"DocumentReference", "relationship", true},
		{"MolecularSequence", "chromosome-window-coordinate", false},
		{"MolecularSequence", "chromosome-variant-coordinate", false},
	} {
		p, ok := spec.LookupSearchParam(tt.rtype, tt.code)
		if !ok {
			t.Fatalf("%s.%s missing", tt.rtype, tt.code)
		}
		if got := Searchable(p); got != tt.want {
			t.Errorf("Searchable(%s.%s) = %v, want %v", tt.rtype, tt.code, got, tt.want)
		}
	}
}
