package validate

// Repeats reports whether the element at path (JSON names from the
// resource down, "name", "given") is a list in JSON, so that a FHIRPath
// Patch add knows whether to append to an array or set a single value. ok
// is false when the path names no element of the type.
func Repeats(rtype string, path []string) (many, ok bool) {
	tid, found := resourceType(rtype)
	if !found || len(path) == 0 {
		return false, false
	}
	t := &types[tid]
	for i, name := range path {
		e, found := t.lookup(name)
		if !found {
			return false, false
		}
		if i == len(path)-1 {
			return e.flags&fMany != 0, true
		}
		t = &types[e.typ]
	}
	return false, false
}
