package profile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/emedpractice/emp/internal/fhir/fhirpath"
	"github.com/emedpractice/emp/internal/fhir/validate"
)

// Severities of an Issue, as OperationOutcome names them.
const (
	Error       = "error"
	Warning     = "warning"
	Information = "information"
)

// Issue is one finding: where (FHIRPath-style, with indexes), how bad, what,
// and the rule (an invariant key or a value set URL; empty for cardinality
// and slicing).
type Issue struct {
	Severity, Path, Message, Rule string
}

// maxIssues bounds the findings on a hopeless input.
const maxIssues = 200

type checker struct {
	p      *Profile
	res    map[string]any // the resource checked, where resolve() looks
	bundle map[string]any // the Bundle it is an entry of (or is), where resolve() looks too
	root   fhirpath.Item
	issues []Issue
	opts   *fhirpath.Options
	depth  int             // profiles this check is nested in (profile discriminators)
	warned map[string]bool // slices already reported as not told apart
	// scratch holds the values a discriminator path reaches (see follow).
	scratch [2][]node
}

type inst struct {
	val  any
	path string
	typ  string // the FHIR type when a choice element's key names it
}

// Check checks a resource (decoded with UseNumber, structurally valid)
// against the profile.
func (p *Profile) Check(res map[string]any) []Issue {
	return p.check(res, nil, 0)
}

// check checks a resource, nested depth deep in profile discriminators;
// bundle is the Bundle the resource is an entry of, if any.
func (p *Profile) check(res, bundle map[string]any, depth int) []Issue {
	if res["resourceType"] == "Bundle" {
		bundle = res
	}
	c := &checker{p: p, res: res, bundle: bundle, root: fhirpath.Resource(res), opts: &fhirpath.Options{Model: validate.Model()}, depth: depth}
	rt, _ := res["resourceType"].(string)
	if rt != p.Type {
		return []Issue{{Error, rt, fmt.Sprintf("the profile %s is for %s, not %s", p.Canonical(), p.Type, rt), ""}}
	}
	top := inst{val: res, path: rt, typ: rt}
	if p.root != nil {
		c.constraints(p.root, top)
	}
	c.walk(p.Type, top)
	return c.issues
}

func (c *checker) add(sev, path, rule, format string, a ...any) {
	if len(c.issues) < maxIssues {
		c.issues = append(c.issues, Issue{sev, path, fmt.Sprintf(format, a...), rule})
	}
}

// walk checks the children the profile constrains of the element id on one
// instance of it.
func (c *checker) walk(id string, in inst) {
	obj, ok := in.val.(map[string]any)
	if !ok {
		return
	}
	for _, e := range c.p.children[id] {
		c.element(e, members(obj, e.name, in.path), in.path+"."+strings.TrimSuffix(e.name, "[x]"))
	}
}

// element checks the values one parent instance has for element e.
func (c *checker) element(e *element, vals []inst, path string) {
	where := path
	if e.slice != "" {
		where = path + ":" + e.slice
	}
	if len(vals) < e.Min {
		c.add(Error, path, "", "%s: minimum required = %d, but only found %d (from %s)", where, e.Min, len(vals), c.p.Canonical())
	}
	if max, err := strconv.Atoi(e.Max); err == nil && len(vals) > max {
		c.add(Error, path, "", "%s: maximum allowed = %d, but found %d (from %s)", where, max, len(vals), c.p.Canonical())
	}
	if len(vals) == 0 && e.MustSupport && e.Min == 0 {
		c.add(Information, path, "", "%s: must-support element is absent (from %s)", where, c.p.Canonical())
	}
	for _, v := range vals {
		c.value(e, v)
		c.walk(e.ID, v)
	}
	if e.Slicing != nil {
		c.slice(e, vals, path)
	}
}

// value checks one value against the element's type choices, fixed and
// pattern values, binding and invariants.
func (c *checker) value(e *element, v inst) {
	if v.typ != "" && len(e.Types) > 0 && strings.HasSuffix(e.name, "[x]") && !hasTypeFold(e.Types, v.typ) {
		c.add(Error, v.path, "", "type %s is not allowed here by %s (allowed: %s)", v.typ, c.p.Canonical(), strings.Join(e.Types, ", "))
	}
	for _, f := range e.Fixed {
		if !matches(f, v.val) || !matches(v.val, f) {
			c.add(Error, v.path, "", "value must be exactly %s (fixed by %s)", compact(f), c.p.Canonical())
		}
	}
	for _, pt := range e.Pattern {
		if !matches(pt, v.val) {
			c.add(Error, v.path, "", "value must match the pattern %s (from %s)", compact(pt), c.p.Canonical())
		}
	}
	if e.Binding != nil {
		c.binding(e, v)
	}
	c.constraints(e, v)
}

func (c *checker) constraints(e *element, v inst) {
	for i, k := range e.Constraints {
		x := e.compiled[i]
		if x == nil {
			continue
		}
		ok, err := x.EvalBool(c.root, fhirpath.Element(v.val, c.typeOf(e, v)), c.opts)
		sev := Error
		if k.Severity == "warning" {
			sev = Warning
		}
		switch {
		case err != nil:
			c.add(Warning, v.path, k.Key, "%s could not be evaluated: %v", k.Key, err)
		case !ok:
			c.add(sev, v.path, k.Key, "%s: %s", k.Key, k.Human)
		}
	}
}

// typeOf is the FHIR type of a value for FHIRPath: the choice's type, the
// element's only type, or the backbone element's path.
func (c *checker) typeOf(e *element, v inst) string {
	switch {
	case v.typ != "":
		return v.typ
	case len(e.Types) == 1 && e.Types[0] != "BackboneElement" && e.Types[0] != "Element":
		return e.Types[0]
	case len(e.Types) == 1:
		return stripSlices(e.ID)
	}
	return ""
}

func stripSlices(id string) string {
	parts := strings.Split(id, ".")
	for i, p := range parts {
		if j := strings.IndexByte(p, ':'); j >= 0 {
			parts[i] = p[:j]
		}
	}
	return strings.Join(parts, ".")
}

func (c *checker) binding(e *element, v inst) {
	url, _, _ := strings.Cut(e.Binding.ValueSet, "|")
	sev := map[string]string{"required": Error, "extensible": Warning, "preferred": Warning}[e.Binding.Strength]
	if sev == "" {
		return
	}
	text := false
	switch x := v.val.(type) {
	case string:
	case map[string]any:
		_, text = x["text"].(string)
	default:
		return
	}
	codings := codingsOf(v.val)
	known := false
	for _, cd := range codings {
		k, in := c.p.set.member(url, cd[0], cd[1])
		if in {
			return
		}
		known = known || k
	}
	if !known {
		if k, _ := c.p.set.member(url, "", "\x00"); !k {
			return // a value set this server cannot enumerate
		}
	}
	if len(codings) == 0 && text && sev == Warning {
		return // extensible and preferred bindings allow text alone
	}
	c.add(sev, v.path, url, "no code is in the value set %s (%s binding, from %s)", url, e.Binding.Strength, c.p.Canonical())
}

// inValueSet reports whether some code of the values is in the value set.
func (c *checker) inValueSet(vs string, vals []any) bool {
	url, _, _ := strings.Cut(vs, "|")
	for _, v := range vals {
		for _, cd := range codingsOf(v) {
			if _, in := c.p.set.member(url, cd[0], cd[1]); in {
				return true
			}
		}
	}
	return false
}

// codingsOf returns the system and code pairs of a code, Coding or
// CodeableConcept value.
func codingsOf(v any) [][2]string {
	var codings [][2]string
	switch x := v.(type) {
	case string:
		codings = append(codings, [2]string{"", x})
	case map[string]any:
		if cs, ok := x["coding"].([]any); ok {
			for _, cd := range cs {
				m, _ := cd.(map[string]any)
				sys, _ := m["system"].(string)
				code, _ := m["code"].(string)
				if code != "" {
					codings = append(codings, [2]string{sys, code})
				}
			}
		} else if code, ok := x["code"].(string); ok {
			sys, _ := x["system"].(string)
			codings = append(codings, [2]string{sys, code})
		}
	}
	return codings
}

// member reports whether a value set is known here (the profiles' packages
// or the R4 sets package validate expanded) and whether it holds the code.
func (s *Set) member(url, system, code string) (known, in bool) {
	if set := s.valueSets[url]; set != nil {
		if system == "" {
			return true, s.byCode[url][code]
		}
		return true, set[system+"|"+code]
	}
	return validate.ValueSet(url, system, code)
}

// slice assigns each value of a sliced element to the first slice whose
// discriminators it matches, then checks each slice's cardinality and
// content on its values.
func (c *checker) slice(e *element, vals []inst, path string) {
	slices := c.p.slices[e.ID]
	matched := make([][]inst, len(slices))
	for _, v := range vals {
		found := false
		for i, s := range slices {
			if c.inSlice(e, s, v) {
				matched[i] = append(matched[i], v)
				found = true
				break
			}
		}
		if !found && e.Slicing.Rules == "closed" {
			c.add(Error, v.path, "", "the value matches none of the slices of %s, which are closed (from %s)", path, c.p.Canonical())
		}
	}
	for i, s := range slices {
		c.element(s, matched[i], path)
	}
}

// members returns the values of a member of an object: each array item
// apart, a choice element ("value[x]") by whichever type key is present.
func members(obj map[string]any, name, path string) []inst {
	if base, ok := strings.CutSuffix(name, "[x]"); ok {
		var out []inst
		for k, v := range obj {
			if len(k) > len(base) && strings.HasPrefix(k, base) && unicode.IsUpper(rune(k[len(base)])) {
				out = append(out, inst{val: v, path: path + "." + k, typ: choiceType(k[len(base):])})
			}
		}
		return out
	}
	switch v := obj[name].(type) {
	case nil:
		if ext, ok := obj["_"+name].(map[string]any); ok {
			return []inst{{val: ext, path: path + "." + name}}
		}
		return nil
	case []any:
		out := make([]inst, len(v))
		for i, x := range v {
			out[i] = inst{val: x, path: fmt.Sprintf("%s.%s[%d]", path, name, i)}
		}
		return out
	default:
		return []inst{{val: v, path: path + "." + name}}
	}
}

// choiceType is the type a choice key's suffix names: "Quantity", or a
// primitive with its first letter lowered ("dateTime").
func choiceType(suffix string) string {
	switch suffix {
	case "Quantity", "CodeableConcept", "Coding", "Range", "Ratio", "Period", "SampledData", "Attachment",
		"Reference", "Identifier", "HumanName", "Address", "ContactPoint", "Timing", "Signature", "Annotation",
		"Age", "Count", "Distance", "Duration", "Money", "Meta", "Dosage", "Expression", "ContactDetail",
		"Contributor", "DataRequirement", "ParameterDefinition", "RelatedArtifact", "TriggerDefinition",
		"UsageContext":
		return suffix
	}
	return strings.ToLower(suffix[:1]) + suffix[1:]
}

func hasTypeFold(types []string, t string) bool {
	for _, x := range types {
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

// matches reports whether got has everything pattern has (FHIR pattern[x]
// semantics): objects member by member, each item of a pattern array
// matching some item of the value's array, primitives by their text.
func matches(pattern, got any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, pv := range p {
			if !matches(pv, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok {
			if got == nil {
				return len(p) == 0
			}
			g = []any{got}
		}
		for _, pi := range p {
			found := false
			for _, gi := range g {
				if matches(pi, gi) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case nil:
		return got == nil
	default:
		if got == nil {
			return false
		}
		switch got.(type) {
		case map[string]any, []any:
			return false
		}
		return fmt.Sprint(pattern) == fmt.Sprint(got)
	}
}

func compact(v any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
