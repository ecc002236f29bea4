package search

import (
	"strings"

	"github.com/emedpractice/emp/internal/fhir/spec"
)

// LocalBases are the absolute base URLs under which this server's own
// resources are known: its FHIR base (https://ehr.example.org/fhir/r4) and
// any aliases an operator configured. An absolute reference is to a
// resource here only when it starts with one of them followed by Type/id;
// http://elsewhere.example/fhir/Patient/1 is another server's patient, not
// the local Patient/1, for search, _include and the patient compartment.
type LocalBases []string

// NewLocalBases normalises the bases (no trailing slash; scheme and host
// compared without regard to case, as URLs compare them).
func NewLocalBases(bases ...string) LocalBases {
	var out LocalBases
	for _, b := range bases {
		b = strings.TrimRight(strings.TrimSpace(b), "/")
		if b != "" {
			out = append(out, lowerOrigin(b))
		}
	}
	return out
}

// Relative returns the reference relative to a local base ("Patient/1" for
// https://ehr.example.org/fhir/r4/Patient/1), and false when ref is not
// under any of them.
func (b LocalBases) Relative(ref string) (string, bool) {
	if len(b) == 0 || !strings.Contains(ref, "://") {
		return "", false
	}
	norm := lowerOrigin(ref)
	for _, base := range b {
		if rest, ok := strings.CutPrefix(norm, base+"/"); ok && rest != "" {
			return rest, true
		}
	}
	return "", false
}

// lowerOrigin lower-cases the scheme and host of an absolute URL and leaves
// its path as it is (paths are case-sensitive).
func lowerOrigin(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, path, _ := strings.Cut(rest, "/")
	out := strings.ToLower(scheme) + "://" + strings.ToLower(host)
	if path != "" || strings.HasSuffix(rest, "/") {
		out += "/" + path
	}
	return out
}

// localize lets each absolute reference value under a local base also match
// the relative reference it stands for: Observation?subject=https://ehr/fhir/r4/Patient/1
// finds subject "Patient/1" as well as the same absolute URL.
func localize(clauses []Clause, local LocalBases) {
	if len(local) == 0 {
		return
	}
	each := func(c *Clause) {
		if c.Param == nil || c.Param.Type != spec.ParamReference {
			return
		}
		for i := range c.Values {
			v := &c.Values[i]
			rel, ok := local.Relative(v.URL)
			if !ok {
				continue
			}
			t, id := typeAndID(strings.TrimSuffix(rel, "/"), false)
			if t != "" && (v.RefType == "" || v.RefType == t) {
				v.RefType, v.RefID = t, id
			}
		}
	}
	for i := range clauses {
		each(&clauses[i])
	}
	Links(clauses, func(l *Link) error {
		each(&l.Clause)
		return nil
	})
}

// LocalTarget parses a reference to a resource on this server: "Type/id"
// (with or without _history/v), or an absolute URL under a local base. It
// returns empty strings for anything else: another server's resource, a
// contained "#id", a urn:uuid: or a canonical.
func LocalTarget(ref string, local LocalBases) (typ, id string) {
	if strings.Contains(ref, ":") {
		rel, ok := local.Relative(ref)
		if !ok {
			return "", ""
		}
		ref = rel
	}
	return typeAndID(strings.TrimSuffix(ref, "/"), false)
}
