package search

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/spec"
)

func TestFuseClauses(t *testing.T) {
	tests := []struct {
		query string
		want  []string // each clause as param, modifier and value count
	}{
		{"code=8867-4&value-quantity=gt150", []string{"code-value-quantity 1"}},
		{"code=http://loinc.org|8867-4&value-quantity=lt40|http://unitsofmeasure.org|/min&patient=p1",
			[]string{"code-value-quantity 1", "patient 1"}},
		{"code=72166-2&value-concept=http://snomed.info/sct|8517006", []string{"code-value-concept 1"}},
		{"code=11367-0&value-date=ge2020", []string{"code-value-date 1"}},
		// OR lists pair up: (a or b) and (x or y or z) is six pairs.
		{"code=a,b&value-quantity=1,2,3", []string{"code-value-quantity 6"}},
		// Too many pairs: the clauses stay.
		{"code=a,b,c,d,e&value-quantity=1,2,3,4", []string{"code 5", "value-quantity 4"}},
		// A repeated parameter (AND) fuses once; the other clause stays.
		{"code=a&code=b&value-quantity=gt1", []string{"code-value-quantity 1", "code 1"}},
		// Modifiers and chains change what a clause asks; nothing fuses.
		{"code:not=a&value-quantity=gt1", []string{"code:not 1", "value-quantity 1"}},
		{"code=a&value-quantity:missing=true", []string{"code 1", "value-quantity:missing 1"}},
		{"code:text=pulse&value-quantity=gt1", []string{"code:text 1", "value-quantity 1"}},
		{"code=a", []string{"code 1"}},
		// value-string also matches a CodeableConcept's text, which
		// code-value-string does not pair: no fusion.
		{"code=a&value-string=high", []string{"code 1", "value-string 1"}},
		// Two fusions in one query.
		{"code=a&value-quantity=gt1&code=b&value-concept=c", []string{"code-value-concept 1", "code-value-quantity 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse("Observation", v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range q.Clauses {
				name := c.Param.Code
				if c.Modifier != "" {
					name += ":" + c.Modifier
				}
				got = append(got, name+" "+strconv.Itoa(len(c.Values)))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("clauses = %q, want %q", got, tt.want)
			}
		})
	}
}

// The fused clause's values are the given clauses' values, paired in order.
func TestFusedValues(t *testing.T) {
	q, err := Parse("Observation", url.Values{"code": {"http://loinc.org|8867-4,8310-5"}, "value-quantity": {"gt150"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	vs := q.Clauses[0].Values
	if len(vs) != 2 || vs[0].Parts[0].Code != "8867-4" || vs[0].Parts[0].System != "http://loinc.org" ||
		vs[1].Parts[0].Code != "8310-5" || vs[1].Parts[0].HasSystem || vs[0].Parts[1].Prefix != Gt || vs[1].Parts[1].Num != 150 {
		t.Errorf("values = %+v", vs)
	}
}

// Joins holds only where the joined parameters' index rows are exactly
// the components' values: same paths, except paths that give no rows. The
// generator takes SampledData to give no quantity rows; so must Extract.
func TestJoinsMatchComponents(t *testing.T) {
	n := 0
	for _, rtype := range spec.ResourceTypes() {
		for _, p := range spec.SearchParams(rtype) {
			if len(p.Joins) == 0 {
				continue
			}
			n++
			if len(p.Paths) != 1 || len(p.Paths[0].Steps) != 0 || len(p.Joins) != len(p.Components) {
				t.Errorf("%s.%s: Joins on a composite that does not pair on the resource itself", rtype, p.Code)
				continue
			}
			for i, code := range p.Joins {
				q, ok := spec.LookupSearchParam(rtype, code)
				c := p.Components[i]
				if !ok || q.Type != c.Type {
					t.Errorf("%s.%s: component %s is not %s", rtype, p.Code, c.Code, code)
					continue
				}
				var kept []spec.Path
				for _, pa := range q.Paths {
					if q.Type == spec.ParamQuantity && pa.Type == "SampledData" {
						continue
					}
					kept = append(kept, pa)
				}
				if !reflect.DeepEqual(kept, c.Paths) {
					t.Errorf("%s.%s: %s searches %v, the component %v", rtype, p.Code, code, kept, c.Paths)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no composite joins other parameters")
	}
	e := Extract("Observation", map[string]any{"resourceType": "Observation",
		"valueSampledData": map[string]any{"origin": map[string]any{"value": 0.0}, "period": 10.0, "dimensions": 1.0, "lowerLimit": 1.0, "upperLimit": 9.0, "data": "1 2 3"}})
	for _, q := range e.Quantities {
		if strings.HasPrefix(q.Param, "value-quantity") || q.Param == "combo-value-quantity" {
			t.Errorf("SampledData gave the quantity row %+v", q)
		}
	}
}
