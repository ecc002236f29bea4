package scope

import (
	"iter"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// Set is a list of scopes without duplicates, in the order first given. It
// is immutable: every method returns a new Set, so one Set may be shared by
// many requests.
type Set struct {
	list []Scope
}

// NewSet builds a set, dropping exact duplicates (same String).
func NewSet(scopes ...Scope) Set {
	out := Set{list: make([]Scope, 0, len(scopes))}
	seen := make(map[string]struct{}, len(scopes))
	for _, s := range scopes {
		k := s.String()
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out.list = append(out.list, s)
	}
	return out
}

// ParseList reads a space-separated scope list, as in an OAuth scope
// parameter or a token's scope claim. Any malformed scope fails the whole
// list; the error is an errs.Multi naming every bad scope.
func ParseList(s string) (Set, error) {
	set, bad := ParseListLenient(s)
	if len(bad) > 0 {
		return Set{}, bad
	}
	return set, nil
}

// ParseListLenient reads a scope list, keeping the scopes it understands and
// reporting the others. SMART lets a server ignore the scopes it does not
// support; the authorization server may use this to drop them instead of
// refusing the request.
func ParseListLenient(s string) (Set, errs.Multi) {
	fields := strings.Fields(s)
	scopes := make([]Scope, 0, len(fields))
	var bad errs.Multi
	for _, f := range fields {
		sc, err := Parse(f)
		if err != nil {
			bad = append(bad, err.(*errs.Error))
			continue
		}
		scopes = append(scopes, sc)
	}
	return NewSet(scopes...), bad
}

// Scopes returns a copy of the scopes.
func (s Set) Scopes() []Scope { return append([]Scope(nil), s.list...) }

// All iterates over the scopes in order, without copying them.
func (s Set) All() iter.Seq[Scope] {
	return func(yield func(Scope) bool) {
		for _, sc := range s.list {
			if !yield(sc) {
				return
			}
		}
	}
}

// Len is the number of scopes.
func (s Set) Len() int { return len(s.list) }

// String is the space-separated list in order, each scope in the form it
// was given.
func (s Set) String() string {
	parts := make([]string, len(s.list))
	for i, sc := range s.list {
		parts[i] = sc.String()
	}
	return strings.Join(parts, " ")
}

// Has reports whether the set holds the non-resource scope name (openid,
// offline_access, api:oemr, …).
func (s Set) Has(name string) bool {
	for _, sc := range s.list {
		if sc.Target == NonResource && sc.Name == name {
			return true
		}
	}
	return false
}

// Allows reports whether any scope of the context allows the interaction on
// the resource. A granular scope allows it too, for the resources its filter
// matches; ask Filters which those are.
func (s Set) Allows(ctx Context, resource string, in Interaction) bool {
	for _, sc := range s.list {
		if sc.Context == ctx && sc.Operation == "" && sc.Perms.Has(in) && sc.matchesResource(resource) {
			return true
		}
	}
	return false
}

// Filters returns what the set allows of the interaction on the resource in
// the context: unrestricted when a scope without a filter allows it,
// otherwise the filters of the granular scopes that do, any one of which a
// resource must match. Neither (nil, false) means nothing is allowed.
func (s Set) Filters(ctx Context, resource string, in Interaction) (filters []Filter, unrestricted bool) {
	for _, sc := range s.list {
		if sc.Context != ctx || sc.Operation != "" || !sc.Perms.Has(in) || !sc.matchesResource(resource) {
			continue
		}
		if !sc.Granular() {
			return nil, true
		}
		filters = append(filters, sc.Filter)
	}
	return filters, false
}

// AllowsOperation reports whether an operation scope of the context allows
// op ("$export") on the resource. resource "*" (or "") stands for the
// system level ([base]/$export), which only a wildcard operation scope
// (system/*.$export) allows.
func (s Set) AllowsOperation(ctx Context, resource, op string) bool {
	if resource == "" {
		resource = "*"
	}
	for _, sc := range s.list {
		if sc.Context == ctx && sc.Operation == op && sc.matchesResource(resource) {
			return true
		}
	}
	return false
}

// Contains reports whether one scope of the set covers t (see
// Scope.Covers).
func (s Set) Contains(t Scope) bool {
	for _, sc := range s.list {
		if sc.Covers(t) {
			return true
		}
	}
	return false
}

// Within reports whether every scope of s is contained in other: a grant
// within what was registered or requested.
func (s Set) Within(other Set) bool {
	for _, sc := range s.list {
		if !other.Contains(sc) {
			return false
		}
	}
	return true
}
