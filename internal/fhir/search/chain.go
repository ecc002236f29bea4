package search

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// Depth limits of chains and reverse chains. Each link is a sub-select in
// the SQL; the limits keep one request from nesting without bound.
const (
	maxChainLinks = 3 // subject.organization.partof.name
	maxHasDepth   = 2 // _has:Observation:patient:_has:Provenance:target:agent=x
	// maxChainTypes bounds the sub-selects of one chained parameter, over
	// all its links: a reference that may point at many types
	// (Provenance.target) must be narrowed with :Type.
	maxChainTypes = 10
)

// unknownChained is the error of a chained parameter that none of the
// reference's target types has. Like unknownParam, lenient handling ignores
// it.
const unknownChained = "none of the types the reference may point at has this search parameter"

// parseChain parses one value of a chained parameter,
// ref[:Type].ref2[:Type2].param[:modifier], on resources of rtype.
func parseChain(rtype, name, raw string) (Clause, error) {
	if n := strings.Count(name, "."); n > maxChainLinks {
		return Clause{}, bound(name, "a chain may have at most %d links, this one has %d", maxChainLinks, n)
	}
	c, err := chainOn(rtype, name, raw)
	if err != nil {
		return c, err
	}
	n := 0
	Links([]Clause{c}, func(*Link) error { n++; return nil })
	if n > maxChainTypes {
		return Clause{}, bound(name, "the chain searches %d resource types, at most %d are allowed; name the types with :Type", n, maxChainTypes)
	}
	return c, nil
}

// chainOn parses the chain expr (which holds at least one dot) against
// rtype.
func chainOn(rtype, expr, raw string) (Clause, error) {
	head, rest, _ := strings.Cut(expr, ".")
	code, typ, _ := strings.Cut(head, ":")
	p, ok := spec.LookupSearchParam(rtype, code)
	if !ok {
		return Clause{}, errs.E(errs.Invalid, unknownParam)
	}
	if p.Type != spec.ParamReference {
		return Clause{}, errs.E(errs.Invalid, "%s is a %s parameter; only a reference parameter can be chained", code, p.Type)
	}
	if !Searchable(p) {
		return Clause{}, errs.E(errs.Invalid, unsupportedParam)
	}
	var targets []string
	if typ != "" {
		t, ok := spec.CanonicalType(typ)
		if !ok || t != typ || !allowsTarget(p, t) {
			return Clause{}, errs.E(errs.Invalid, "%s cannot point at %q", code, typ)
		}
		targets = []string{t}
	} else {
		for _, t := range p.Targets {
			if t == "Resource" {
				targets = nil
				break
			}
			targets = append(targets, t)
		}
		if len(targets) == 0 {
			return Clause{}, errs.E(errs.Invalid, "%s may point at any type; name the type to chain through, as %s:Type.%s", code, code, rest)
		}
	}
	c := Clause{Param: p, Modifier: typ}
	for _, t := range targets {
		inner, err := linkClause(t, rest, raw)
		if err != nil {
			// With the type left open, the chain searches the types that
			// have the parameter; the others are passed over.
			if e, ok := err.(*errs.Error); ok && typ == "" && len(targets) > 1 && notOnType(e) {
				continue
			}
			return Clause{}, err
		}
		c.Chain = append(c.Chain, &Link{Type: t, Clause: inner})
	}
	if len(c.Chain) == 0 {
		return Clause{}, errs.E(errs.Invalid, unknownChained)
	}
	return c, nil
}

// linkClause parses the rest of a chain against the link's type: another
// link, or the final parameter with its modifier.
func linkClause(rtype, rest, raw string) (Clause, error) {
	if strings.Contains(rest, ".") {
		return chainOn(rtype, rest, raw)
	}
	code, modifier, _ := strings.Cut(rest, ":")
	if code == "_has" {
		return Clause{}, errs.E(errs.Invalid, "_has cannot end a chain")
	}
	p, ok := spec.LookupSearchParam(rtype, code)
	if !ok {
		return Clause{}, errs.E(errs.Invalid, unknownParam)
	}
	if !Searchable(p) {
		return Clause{}, errs.E(errs.Invalid, unsupportedParam)
	}
	return parseClause(p, modifier, raw)
}

// notOnType reports whether e says the parameter does not exist (or cannot
// be searched) on a type, rather than that its value is wrong.
func notOnType(e *errs.Error) bool {
	return e.Kind == errs.Invalid && (e.Message == unknownParam || e.Message == unsupportedParam || e.Message == unknownChained)
}

// parseHas parses one value of a reverse chain,
// _has:Type:refparam:param[:modifier], where the resources of Type point at
// the searched rtype through refparam. param may itself be a _has, up to
// maxHasDepth levels.
func parseHas(rtype, name, raw string, depth int) (Clause, error) {
	if depth > maxHasDepth {
		return Clause{}, bound("", "_has may be nested at most %d deep", maxHasDepth)
	}
	parts := strings.SplitN(strings.TrimPrefix(name, "_has:"), ":", 3)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Clause{}, errs.E(errs.Invalid, "must be _has:Type:reference-parameter:search-parameter")
	}
	typ, refCode, tail := parts[0], parts[1], parts[2]
	t, ok := spec.CanonicalType(typ)
	if !ok || t != typ {
		return Clause{}, errs.E(errs.Invalid, "unknown resource type %q", typ)
	}
	ref, ok := spec.LookupSearchParam(t, refCode)
	if !ok || ref.Type != spec.ParamReference || !Searchable(ref) {
		return Clause{}, errs.E(errs.Invalid, "%s has no reference search parameter %q", t, refCode)
	}
	if !allowsTarget(ref, rtype) {
		return Clause{}, errs.E(errs.Invalid, "%s:%s cannot point at %s", t, refCode, rtype)
	}
	var inner Clause
	var err error
	switch {
	case strings.HasPrefix(tail, "_has:"):
		inner, err = parseHas(t, tail, raw, depth+1)
	case strings.Contains(tail, "."):
		err = errs.E(errs.Invalid, "a chained parameter inside _has is not supported")
	default:
		code, modifier, _ := strings.Cut(tail, ":")
		p, ok := spec.LookupSearchParam(t, code)
		switch {
		case !ok:
			err = errs.E(errs.Invalid, unknownParam)
		case !Searchable(p):
			err = errs.E(errs.Invalid, unsupportedParam)
		default:
			inner, err = parseClause(p, modifier, raw)
		}
	}
	if err != nil {
		return Clause{}, err
	}
	return Clause{Param: ref, Has: &Link{Type: t, Clause: inner}}, nil
}
