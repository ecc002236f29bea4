package validate

import "strings"

// validReference is a sanity check of Reference.reference, not a resolution:
// a local reference to a contained resource ("#med1"), an absolute URL or URN
// (anything with a scheme), or a relative one of the forms the server
// understands: "Type/id", "Type/id/_history/vid", or a conditional reference
// "Type?search" in a transaction. Whitespace is never allowed.
func validReference(s string) bool {
	if !isURI(s) {
		return false
	}
	if s[0] == '#' || strings.IndexByte(s, ':') >= 0 {
		return true
	}
	if typ, query, ok := strings.Cut(s, "?"); ok {
		_, known := resourceType(typ)
		return known && query != ""
	}
	typ, rest, _ := strings.Cut(s, "/")
	if _, known := resourceType(typ); !known {
		return false
	}
	id, history, hasHistory := strings.Cut(rest, "/")
	if !isID(id) {
		return false
	}
	if !hasHistory {
		return true
	}
	vid, ok := strings.CutPrefix(history, "_history/")
	return ok && isID(vid)
}
