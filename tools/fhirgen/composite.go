package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// A composite search parameter (Observation code-value-quantity) pairs the
// values of other parameters found on the same element: its expression
// selects the elements (Observation itself, each Observation.component),
// and each component names another SearchParameter by its canonical URL
// with an expression relative to such an element. compileComposites types
// the elements and compiles each component's expression from every one of
// them, so that extraction can pair the values of one element only.

// rawComponent is a component as search-parameters.json gives it.
type rawComponent struct {
	Definition string
	Expression string
}

// component is a compiled component: the parameter it stands for, and its
// paths relative to an element the composite's paths select.
type component struct {
	Code, Type string
	Paths      []path
}

// compileComposites compiles every composite once all definitions are
// loaded (a component may name a parameter defined further on).
func (g *gen) compileComposites() {
	var types []string
	for t := range g.params {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		var codes []string
		for c, p := range g.params[t] {
			if p.Type == "composite" {
				codes = append(codes, c)
			}
		}
		sort.Strings(codes)
		for _, c := range codes {
			p := g.params[t][c]
			err := g.compileComposite(t, p)
			if err != nil && g.swapComponents(t, p) {
				err = nil
			}
			if err != nil {
				p.Paths, p.Components = nil, nil
				g.skipped = append(g.skipped, fmt.Sprintf("%s.%s (composite): %v", t, p.Code, err))
				continue
			}
			g.nCompiled++
		}
	}
}

// swapComponents compiles a two-part composite whose published components
// fit their parameters only with their expressions swapped: R4's
// DocumentReference relationship gives relatesto (a reference) the
// expression "code" and relation (a token) "target", which R5 corrected.
// The swap is taken only when both parts then compile; the generator says
// so on its output.
func (g *gen) swapComponents(rtype string, p *param) bool {
	if len(p.raw) != 2 {
		return false
	}
	skipped := len(g.skipped)
	swapped := *p
	swapped.Paths, swapped.Components = nil, nil
	swapped.raw = []rawComponent{
		{Definition: p.raw[0].Definition, Expression: p.raw[1].Expression},
		{Definition: p.raw[1].Definition, Expression: p.raw[0].Expression},
	}
	if err := g.compileComposite(rtype, &swapped); err != nil {
		g.skipped = g.skipped[:skipped]
		return false
	}
	// The published pairing's complaints are answered by the swap.
	g.skipped = g.skipped[:skipped]
	for i := len(g.skipped) - 1; i >= 0; i-- {
		if strings.HasPrefix(g.skipped[i], rtype+"."+p.Code+" component ") {
			g.skipped = append(g.skipped[:i], g.skipped[i+1:]...)
		}
	}
	p.Paths, p.Components = swapped.Paths, swapped.Components
	fmt.Fprintf(os.Stderr, "fhirgen: %s.%s: component expressions swapped (%s $ %s), as corrected after R4\n",
		rtype, p.Code, swapped.raw[0].Expression, swapped.raw[1].Expression)
	return true
}

func (g *gen) compileComposite(rtype string, p *param) error {
	if p.Expression == "" || len(p.raw) == 0 {
		return fmt.Errorf("no expression or no components")
	}
	var bases []cursor
	for _, branch := range splitUnion(p.Expression) {
		toks := splitDots(asExpr.ReplaceAllString(strings.TrimSpace(branch), "$1.as($2)"))
		if toks[0] != rtype {
			return fmt.Errorf("%s does not start with %s", branch, rtype)
		}
		cs, err := g.walk(cursor{def: rtype, types: []string{rtype}}, toks[1:], "composite")
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.choice != "" || len(c.types) != 1 {
				return fmt.Errorf("%s does not end at one element type", branch)
			}
			bases = append(bases, c)
			p.Paths = append(p.Paths, path{Steps: c.steps, Type: c.types[0]})
		}
	}
	for _, rc := range p.raw {
		d, ok := g.defs[rc.Definition]
		if !ok {
			return fmt.Errorf("component %s is not a known search parameter", rc.Definition)
		}
		comp := component{Code: d.code, Type: d.typ}
		seen := map[string]bool{}
		for _, base := range bases {
			rel := base
			rel.steps = nil
			for _, branch := range splitUnion(rc.Expression) {
				branch = strings.TrimSpace(branch)
				ps, err := g.compileRelative(rel, d.typ, branch)
				if err != nil {
					g.skipped = append(g.skipped, fmt.Sprintf("%s.%s component %s (%s): %v", rtype, p.Code, d.code, branch, err))
					continue
				}
				for _, pa := range ps {
					if k := fmt.Sprint(pa); !seen[k] {
						seen[k] = true
						comp.Paths = append(comp.Paths, pa)
					}
				}
			}
		}
		if len(comp.Paths) == 0 {
			return fmt.Errorf("component %s (%s) selects no %s element", d.code, rc.Expression, d.typ)
		}
		p.Components = append(p.Components, comp)
	}
	return nil
}

// compileRelative compiles a component expression from an element. Unlike a
// parameter's own paths, a component's must end at a datatype its parameter
// type indexes: the published definitions pair some components with the
// wrong element, which would otherwise index nothing, silently.
func (g *gen) compileRelative(from cursor, ptype, expr string) ([]path, error) {
	toks := splitDots(asExpr.ReplaceAllString(expr, "$1.as($2)"))
	cur, err := g.walk(from, toks, ptype)
	if err != nil {
		return nil, err
	}
	ps, err := g.finish(cur, ptype)
	if err != nil {
		return nil, err
	}
	for _, pa := range ps {
		if !contains(compatible[ptype], pa.Type) {
			return nil, fmt.Errorf("a %s is not indexed as a %s", pa.Type, ptype)
		}
	}
	return ps, nil
}
