package validate

// Required lists the JSON names of the top-level elements of a resource type
// whose minimum cardinality is one. A choice element contributes every one
// of its typed names ("valueQuantity", "valueString", ...). Search results
// subset with _elements must keep these, so that a subsetted resource is
// still a valid one of its type. The list is nil for an unknown type.
func Required(rtype string) []string {
	id, ok := resourceType(rtype)
	if !ok {
		return nil
	}
	t := &types[id]
	var names []string
	for _, e := range t.elems() {
		if e.bit != 0 && t.reqMask&(1<<(e.bit-1)) != 0 {
			names = append(names, e.name)
		}
	}
	return names
}

// Summary lists the JSON names of the top-level elements of a resource type
// that the FHIR specification marks as part of the summary view, which
// _summary=true returns. The list is nil for an unknown type.
func Summary(rtype string) []string {
	id, ok := resourceType(rtype)
	if !ok {
		return nil
	}
	var names []string
	for _, e := range types[id].elems() {
		if e.flags&fSummary != 0 {
			names = append(names, e.name)
		}
	}
	return names
}
