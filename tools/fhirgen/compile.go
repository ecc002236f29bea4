package main

import (
	"fmt"
	"regexp"
	"strings"
)

// The FHIRPath of search parameters uses a small subset of the language:
// paths, unions, "as"/ofType type selection, where() with an equality or
// resolve() is Type, and extension('url'). compile turns each branch into
// walks over JSON property names, typed by the StructureDefinitions, so that
// extraction never guesses a datatype from the shape of the JSON.

var asExpr = regexp.MustCompile(`\(([A-Za-z0-9_.\[\]]+) as ([A-Za-z]+)\)`)

// compatible lists, per search parameter type, the element types a choice
// element ([x]) is indexed as.
var compatible = map[string][]string{
	"string":    {"string", "markdown", "HumanName", "Address"},
	"token":     {"Coding", "CodeableConcept", "Identifier", "ContactPoint", "code", "boolean", "string", "id", "uri"},
	"reference": {"Reference", "canonical", "uri"},
	"date":      {"date", "dateTime", "instant", "Period", "Timing"},
	"number":    {"decimal", "integer", "positiveInt", "unsignedInt"},
	"quantity":  {"Quantity", "Age", "Duration", "Money", "SimpleQuantity", "Distance", "Count"},
	"uri":       {"uri", "url", "canonical", "oid", "uuid"},
}

// quantityLike are constraints on Quantity; their elements are Quantity's.
var quantityLike = map[string]bool{"Age": true, "Duration": true, "Count": true, "Distance": true, "SimpleQuantity": true, "MoneyQuantity": true}

type cursor struct {
	def      string // where element definitions continue: a type name or a backbone path
	steps    []step
	types    []string
	choice   string // pending choice element name, "" when none
	refTypes []string
}

func (g *gen) compile(rtype string, p *param) {
	if p.Type == "composite" || p.Type == "special" || p.Expression == "" {
		return
	}
	var paths []path
	for _, branch := range splitUnion(p.Expression) {
		ps, err := g.compileBranch(rtype, p.Type, strings.TrimSpace(branch))
		if err != nil {
			g.skipped = append(g.skipped, fmt.Sprintf("%s.%s (%s): %v", rtype, p.Code, strings.TrimSpace(branch), err))
			continue
		}
		paths = append(paths, ps...)
	}
	p.Paths = paths
	if len(paths) > 0 {
		g.nCompiled++
	}
}

func (g *gen) compileBranch(rtype, ptype, expr string) ([]path, error) {
	toks := splitDots(asExpr.ReplaceAllString(expr, "$1.as($2)"))
	if len(toks) < 2 || toks[0] != rtype {
		return nil, fmt.Errorf("does not start with %s", rtype)
	}
	cur, err := g.walk(cursor{def: rtype, types: []string{rtype}}, toks[1:], ptype)
	if err != nil {
		return nil, err
	}
	return g.finish(cur, ptype)
}

// walk applies the steps toks from c.
func (g *gen) walk(c cursor, toks []string, ptype string) ([]cursor, error) {
	cur := []cursor{c}
	for _, tok := range toks {
		var next []cursor
		for _, c := range cur {
			cs, err := g.apply(c, tok, ptype)
			if err != nil {
				return nil, err
			}
			next = append(next, cs...)
		}
		cur = next
	}
	return cur, nil
}

// finish turns the cursors at the end of a walk into typed paths.
func (g *gen) finish(cur []cursor, ptype string) ([]path, error) {
	var out []path
	for _, c := range cur {
		if c.choice != "" {
			el := g.elements[c.def]
			for _, t := range el.types {
				if contains(compatible[ptype], t) {
					out = append(out, path{Steps: appendStep(c.steps, step{Name: c.choice + upper(t)}), Type: t, RefTypes: c.refTypes})
				}
			}
			continue
		}
		if len(c.types) != 1 {
			return nil, fmt.Errorf("ends at an element of %d types", len(c.types))
		}
		if c.types[0] == "BackboneElement" || c.types[0] == "Element" || c.types[0] == "Resource" {
			return nil, fmt.Errorf("ends at a %s", c.types[0])
		}
		out = append(out, path{Steps: c.steps, Type: c.types[0], RefTypes: c.refTypes})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no element type fits a %s parameter", ptype)
	}
	return out, nil
}

func appendStep(steps []step, s step) []step {
	out := make([]step, len(steps), len(steps)+1)
	copy(out, steps)
	return append(out, s)
}

var (
	whereEq      = regexp.MustCompile(`^where\(\s*([a-zA-Z]+)\s*=\s*'([^']*)'\s*\)$`)
	whereResolve = regexp.MustCompile(`^where\(\s*resolve\(\)\s+is\s+([A-Za-z]+)\s*\)$`)
	typeFn       = regexp.MustCompile(`^(?:as|ofType)\(\s*([A-Za-z]+)\s*\)$`)
	extFn        = regexp.MustCompile(`^extension\(\s*'([^']*)'\s*\)$`)
	name         = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_]*)(\[0\])?$`)
)

func (g *gen) apply(c cursor, tok, ptype string) ([]cursor, error) {
	if m := typeFn.FindStringSubmatch(tok); m != nil {
		t := m[1]
		if c.choice != "" {
			el := g.elements[c.def]
			if !contains(el.types, t) && contains(el.types, lowerFirst(t)) {
				t = lowerFirst(t) // as(DateTime) names the primitive dateTime
			}
			if !contains(el.types, t) {
				return nil, fmt.Errorf("%s has no type %s", c.def, t)
			}
			c.steps = appendStep(c.steps, step{Name: c.choice + upper(t)})
			c.choice, c.types, c.def = "", []string{t}, typeDef(t)
			return []cursor{c}, nil
		}
		if !contains(c.types, t) && contains(c.types, lowerFirst(t)) {
			t = lowerFirst(t) // as(DateTime) names the primitive dateTime
		}
		if !contains(c.types, t) {
			return nil, fmt.Errorf("type %s not among %v", t, c.types)
		}
		c.types, c.def = []string{t}, typeDef(t)
		return []cursor{c}, nil
	}
	if c.choice != "" {
		// A choice element navigated without a type: every variant whose
		// type has the next element.
		el := g.elements[c.def]
		var out []cursor
		for _, t := range el.types {
			v := c
			v.steps = appendStep(c.steps, step{Name: c.choice + upper(t)})
			v.choice, v.types, v.def = "", []string{t}, typeDef(t)
			if cs, err := g.apply(v, tok, ptype); err == nil {
				out = append(out, cs...)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no variant of %s has %s", c.def, tok)
		}
		return out, nil
	}
	if m := whereResolve.FindStringSubmatch(tok); m != nil {
		c.refTypes = append(append([]string(nil), c.refTypes...), m[1])
		return []cursor{c}, nil
	}
	if m := whereEq.FindStringSubmatch(tok); m != nil {
		if len(c.steps) == 0 {
			return nil, fmt.Errorf("where() on the resource")
		}
		last := c.steps[len(c.steps)-1]
		last.WhereField, last.WhereValue = m[1], m[2]
		c.steps = append(append([]step(nil), c.steps[:len(c.steps)-1]...), last)
		return []cursor{c}, nil
	}
	if m := extFn.FindStringSubmatch(tok); m != nil {
		c.steps = appendStep(c.steps, step{Name: "extension", WhereField: "url", WhereValue: m[1]})
		c.types, c.def = []string{"Extension"}, "Extension"
		return []cursor{c}, nil
	}
	m := name.FindStringSubmatch(tok)
	if m == nil {
		return nil, fmt.Errorf("unsupported step %q", tok)
	}
	n := m[1]
	def := c.def
	if quantityLike[def] {
		def = "Quantity"
	}
	full := def + "." + n
	el, ok := g.elements[full]
	if !ok {
		// A choice variant named directly: valueDateTime.
		for i := len(n) - 1; i > 0 && !ok; i-- {
			base, t := n[:i], n[i:]
			if ce, found := g.elements[def+"."+base]; found && ce.choice && contains(ce.types, lowerFirst(t)) || found && ce.choice && contains(ce.types, t) {
				tt := t
				if contains(ce.types, lowerFirst(t)) {
					tt = lowerFirst(t)
				}
				c.steps = appendStep(c.steps, step{Name: n})
				c.types, c.def = []string{tt}, typeDef(tt)
				return []cursor{c}, nil
			}
		}
		return nil, fmt.Errorf("no element %s", full)
	}
	if el.ref != "" {
		c.steps = appendStep(c.steps, step{Name: n})
		c.types, c.def = []string{"BackboneElement"}, el.ref
		return []cursor{c}, nil
	}
	if el.choice {
		c.choice, c.def = n, full
		return []cursor{c}, nil
	}
	c.steps = appendStep(c.steps, step{Name: n})
	c.types = el.types
	switch {
	case len(el.types) == 0 || el.types[0] == "BackboneElement" || el.types[0] == "Element":
		c.def, c.types = full, []string{"BackboneElement"}
	case len(el.types) == 1:
		c.def = typeDef(el.types[0])
	default:
		c.def = full
	}
	return []cursor{c}, nil
}

func typeDef(t string) string {
	if quantityLike[t] {
		return "Quantity"
	}
	return t
}

// splitDots splits a path on dots outside parentheses and quotes.
func splitDots(expr string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(expr); i++ {
		switch ch := expr[i]; {
		case ch == '\'':
			inQuote = !inQuote
		case inQuote:
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case ch == '.' && depth == 0:
			out = append(out, strings.TrimSpace(expr[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(expr[start:]))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
