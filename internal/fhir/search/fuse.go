package search

import "github.com/emedpractice/emp/internal/fhir/spec"

// maxFusedValues caps the values of a fused clause: the fused clause has
// one value per pairing of the two clauses' values (OR'ed), and past a few
// the two clauses as given are the cheaper query.
const maxFusedValues = 16

// fuse replaces two clauses with one of a composite whose components they
// stand for (spec.SearchParam.Joins): Observation?code=8867-4&value-quantity=gt150
// is searched as code-value-quantity=8867-4$gt150. Both ask for a resource
// that has a code value and a quantity value that match, and a resource has
// a composite row for every pairing of the two, so the answers are the
// same; but the composite's rows hold both values on one row, while the
// two clauses each match a large set (every heart rate, every value above
// 150) that the search would have to meet.
//
// Only plain clauses fuse: a modifier (:missing, :not, :text, …) or a
// chain changes what a clause asks of the resource's values. Each pair of
// clauses fuses at most once; a parameter repeated (code=a&code=b, AND)
// keeps its other clauses as they are. Parse fuses the clauses of one
// query string; a Query assembled from clauses parsed one parameter at a
// time (the /api/ list filters, none of which pairs a code with a value)
// is searched as assembled.
func fuse(rtype string, clauses []Clause) []Clause {
	for _, p := range spec.SearchParams(rtype) {
		if len(p.Joins) != 2 || !Searchable(p) {
			continue
		}
		i, j := plainClause(clauses, p.Joins[0]), plainClause(clauses, p.Joins[1])
		if i < 0 || j < 0 || len(clauses[i].Values)*len(clauses[j].Values) > maxFusedValues {
			continue
		}
		fused := Clause{Param: p}
		for _, a := range clauses[i].Values {
			for _, b := range clauses[j].Values {
				fused.Values = append(fused.Values, Value{Raw: a.Raw + "$" + b.Raw, Parts: []Value{a, b}})
			}
		}
		out := make([]Clause, 0, len(clauses)-1)
		for k := range clauses {
			switch k {
			case i:
				out = append(out, fused)
			case j:
			default:
				out = append(out, clauses[k])
			}
		}
		clauses = out
	}
	return clauses
}

// plainClause returns the index of the first clause on the parameter code
// without a modifier or a chain, or -1.
func plainClause(clauses []Clause, code string) int {
	for i := range clauses {
		c := &clauses[i]
		if c.Param != nil && c.Param.Code == code && c.Modifier == "" && !c.Chained() && len(c.Values) > 0 {
			return i
		}
	}
	return -1
}
