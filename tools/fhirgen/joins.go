package main

// findJoins records, for each composite whose values pair on the resource
// itself (Observation code-value-quantity, not component-code-value-quantity),
// the parameters whose values are exactly its components' values: Joins
// lists them in component order. A resource has a composite row for every
// pairing of its first component's values with its second's, so a search
// giving each of those parameters one value matches exactly the resources
// that have a composite row pairing the two values:
// Observation?code=8867-4&value-quantity=gt150 is
// code-value-quantity=8867-4$gt150. The search engine then asks the
// composite's rows, where both values are on one row, instead of meeting
// two large sets (every heart rate, every value above 150).
//
// A parameter stands for a component when it searches the same elements
// of the same datatype and search type; it may have more paths when the
// extra ones give no index rows for its type (Observation value-quantity
// also names valueSampledData, which has no single value to index as a
// quantity).
func (g *gen) findJoins() {
	for _, ps := range g.params {
		for _, p := range ps {
			if p.Type != "composite" || len(p.Components) == 0 || len(p.Paths) != 1 || len(p.Paths[0].Steps) != 0 {
				continue
			}
			var joins []string
			for _, c := range p.Components {
				if code := standsFor(ps, c); code != "" {
					joins = append(joins, code)
				}
			}
			if len(joins) == len(p.Components) && !repeated(joins) {
				p.Joins = joins
			}
		}
	}
}

// standsFor returns the code of the one parameter among ps that searches
// exactly c's values, or "" when none or several do.
func standsFor(ps map[string]*param, c component) string {
	want := map[string]bool{}
	for _, pa := range c.Paths {
		want[pathKey(pa)] = true
	}
	var found []string
	for code, q := range ps {
		if q.Type != c.Type || len(q.Paths) == 0 || restricted(q) {
			continue
		}
		got := map[string]bool{}
		for _, pa := range q.Paths {
			if !noRows[q.Type][pa.Type] {
				got[pathKey(pa)] = true
			}
		}
		if len(got) == len(want) && subset(want, got) {
			found = append(found, code)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// noRows lists the datatypes that give no index rows for a search type: a
// quantity row needs one value, which SampledData does not have (the
// search package's extractor skips it; a test there checks that).
var noRows = map[string]map[string]bool{
	"quantity": {"SampledData": true},
}

func repeated(codes []string) bool {
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c] {
			return true
		}
		seen[c] = true
	}
	return false
}
