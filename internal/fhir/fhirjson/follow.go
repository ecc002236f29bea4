package fhirjson

// Follow returns the values reached from v by the member names in turn,
// flattening arrays on the way and at the end (Bundle entry.resource is
// every entry's resource): what a FHIR path of plain element names selects
// in a decoded resource.
func Follow(v any, names ...string) []any {
	cur := []any{v}
	for _, name := range names {
		var next []any
		for _, x := range cur {
			m, ok := x.(map[string]any)
			if !ok {
				continue
			}
			switch y := m[name].(type) {
			case nil:
			case []any:
				next = append(next, y...)
			default:
				next = append(next, y)
			}
		}
		cur = next
	}
	return cur
}
