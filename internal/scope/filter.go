package scope

import (
	"net/url"
	"strings"
)

// Filter is the granular query of a SMART v2 scope, such as
// category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory.
// A resource is within the filter when it matches every parameter.
type Filter struct {
	// Query is the query as written in the scope, without the "?"; the FHIR
	// face parses it as search parameters.
	Query string
	// Params are the parameters in order, their values unescaped.
	Params []Param
}

// Param is one name=token parameter of a filter.
type Param struct {
	Name  string
	Value string // "system|code", "|code", "system|" or "code"
}

// Token splits the value into its system and code. hasSystem is false for a
// bare code, which matches the code in any system.
func (p Param) Token() (system, code string, hasSystem bool) {
	if i := strings.IndexByte(p.Value, '|'); i >= 0 {
		return p.Value[:i], p.Value[i+1:], true
	}
	return "", p.Value, false
}

// IsZero reports whether the filter is absent (the scope is not granular).
func (f Filter) IsZero() bool { return len(f.Params) == 0 }

// parseFilter reads a granular query. Values are token searches only, one
// value each: an OR list ("a,b") is written as two scopes instead, which
// keeps "is this request within that grant" exact.
func parseFilter(q string) (Filter, string) {
	if q == "" {
		return Filter{}, "empty granular query after \"?\""
	}
	parts := strings.Split(q, "&")
	f := Filter{Query: q, Params: make([]Param, 0, len(parts))}
	for _, part := range parts {
		name, raw, ok := strings.Cut(part, "=")
		if !ok || name == "" {
			return Filter{}, "granular parameter " + quote(part) + " is not name=value"
		}
		if !validParamName(name) {
			return Filter{}, "granular parameter name " + quote(name) + " is not a search parameter name"
		}
		value, err := url.QueryUnescape(raw)
		if err != nil {
			return Filter{}, "granular parameter " + quote(name) + " has a malformed escape"
		}
		if msg := checkToken(value); msg != "" {
			return Filter{}, "granular parameter " + quote(name) + ": " + msg
		}
		f.Params = append(f.Params, Param{Name: name, Value: value})
	}
	return f, ""
}

func checkToken(v string) string {
	switch {
	case v == "" || v == "|":
		return "empty value"
	case strings.Count(v, "|") > 1:
		return "a token has at most one \"|\" (system|code)"
	case strings.ContainsAny(v, ", \t"):
		return "one value per parameter (no \",\" lists, no spaces)"
	}
	return ""
}

// validParamName accepts search parameter names such as category, code,
// _tag or value-concept; modifiers (":") are not supported in scopes.
func validParamName(s string) bool {
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return s != ""
}

// implies reports whether every resource matching p also matches g, by the
// FHIR token rules: "sys|code" implies "code" (any system) and "sys|" (any
// code of sys).
func (p Param) implies(g Param) bool {
	if p.Name != g.Name {
		return false
	}
	if p.Value == g.Value {
		return true
	}
	ps, pc, pHas := p.Token()
	gs, gc, gHas := g.Token()
	switch {
	case !gHas: // g is a bare code: any system
		return pc == gc
	case gc == "": // g is "sys|": any code of the system
		return pHas && ps == gs && gs != ""
	}
	return false
}

// Within reports whether every resource matching f matches g: each of g's
// parameters is implied by one of f's. The absent filter matches everything,
// so every filter is within it, and it is within only itself.
func (f Filter) Within(g Filter) bool {
	for _, gp := range g.Params {
		found := false
		for _, fp := range f.Params {
			if fp.implies(gp) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// and is the conjunction of two filters: a resource must match both.
func (f Filter) and(g Filter) Filter {
	switch {
	case f.Within(g):
		return f
	case g.Within(f):
		return g
	}
	out := Filter{Query: f.Query, Params: append([]Param(nil), f.Params...)}
	for i, gp := range g.Params {
		if (Filter{Params: f.Params}).Within(Filter{Params: []Param{gp}}) {
			continue
		}
		out.Params = append(out.Params, gp)
		out.Query += "&" + queryPart(g.Query, i)
	}
	return out
}

// queryPart is the i-th "&"-separated part of a raw query, so a combined
// filter keeps the parameters as they were written.
func queryPart(q string, i int) string {
	for ; i > 0; i-- {
		_, q, _ = strings.Cut(q, "&")
	}
	part, _, _ := strings.Cut(q, "&")
	return part
}

func quote(s string) string { return "\"" + s + "\"" }
