package search

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// Include is one _include or _revinclude: resources of type Source point
// through the reference parameter Param at resources of type Target (any
// type the parameter allows when Target is empty). For _include, Source is
// the searched type and the targets are added; for _revinclude, the targets
// are the matches and the Source resources pointing at them are added.
//
// Iterate (_include:iterate, _revinclude:iterate) applies the include to
// the resources included so far as well, round after round: its Source (for
// _include) or Target (for _revinclude) may be any type.
type Include struct {
	Source  string
	Param   *spec.SearchParam
	Target  string
	Iterate bool
}

// PointsAt reports whether the include follows references to resources of
// rtype: the parameter may point there, and Target, when set, is rtype.
func (inc *Include) PointsAt(rtype string) bool {
	return (inc.Target == "" || inc.Target == rtype) && allowsTarget(inc.Param, rtype)
}

// maxIncludes bounds the _include and _revinclude values of one search, so
// that one request cannot fan out without limit.
const maxIncludes = 10

// parseIncludes parses the values of _include (rev false) or _revinclude,
// or of their :iterate forms: "Source:param" or "Source:param:Target". The
// wildcard "*" is refused rather than silently half-done.
func parseIncludes(rtype, name string, values []string, rev, iterate bool) ([]Include, *errs.Error) {
	if len(values) > maxIncludes {
		return nil, bound(name, "at most %d values are allowed", maxIncludes)
	}
	var out []Include
	for _, v := range values {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, errs.Field(name, "must be Type:parameter or Type:parameter:TargetType, got %q", v)
		}
		if parts[1] == "*" {
			return nil, errs.Field(name, "the wildcard * is not supported; name the parameter")
		}
		source, ok := spec.CanonicalType(parts[0])
		if !ok || source != parts[0] {
			return nil, errs.Field(name, "unknown resource type %q", parts[0])
		}
		if !rev && !iterate && source != rtype {
			return nil, errs.Field(name, "%q does not start with the searched type %s", v, rtype)
		}
		p, ok := spec.LookupSearchParam(source, parts[1])
		if !ok || p.Type != spec.ParamReference || !Searchable(p) {
			return nil, errs.Field(name, "%s has no reference search parameter %q", source, parts[1])
		}
		inc := Include{Source: source, Param: p, Iterate: iterate}
		if len(parts) == 3 {
			target, ok := spec.CanonicalType(parts[2])
			if !ok || target != parts[2] || !allowsTarget(p, target) {
				return nil, errs.Field(name, "%s:%s cannot point at %q", source, parts[1], parts[2])
			}
			inc.Target = target
		}
		if rev && !iterate && !allowsTarget(p, rtype) {
			return nil, errs.Field(name, "%s:%s cannot point at the searched type %s", source, parts[1], rtype)
		}
		if rev && !iterate && inc.Target != "" && inc.Target != rtype {
			return nil, errs.Field(name, "the target type of %q must be the searched type %s", v, rtype)
		}
		out = append(out, inc)
	}
	return out, nil
}

// allowsTarget reports whether the reference parameter may point at rtype.
// A parameter whose definition lists no targets may point anywhere.
func allowsTarget(p *spec.SearchParam, rtype string) bool {
	if len(p.Targets) == 0 {
		return true
	}
	for _, t := range p.Targets {
		if t == rtype || t == "Resource" {
			return true
		}
	}
	return false
}
