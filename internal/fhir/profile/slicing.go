package profile

import (
	"fmt"
	"strings"
)

// A value of a sliced element belongs to the first slice whose
// discriminators all hold (R4, "Slicing"). Each discriminator names a path
// from the value ($this, member names, choice elements, extension('url'),
// ofType(T), resolve()) and a kind:
//
//   - value, pattern: the value at the path is the slice's fixed value,
//     matches its pattern, or (a required binding) is in its value set;
//   - exists: the value at the path is present when the slice requires it
//     (min ≥ 1) and absent when the slice prohibits it (max 0);
//   - type: the value at the path is of one of the slice's types (after
//     resolve(), the resource type of its target profiles);
//   - profile: the value at the path (a resource, or the target of
//     resolve()) conforms to one of the slice's profiles, checked against
//     the loaded profiles, nested at most maxProfileDepth deep.
//
// resolve() finds a reference's target within the resource checked: a
// contained resource, or an entry of the Bundle checked (also from within
// another of its entries). A slice the discriminators
// cannot tell (an unsupported path, a profile not loaded here, a reference
// that does not resolve here) matches nothing, and a warning says why once.

// maxProfileDepth bounds the checks profile discriminators nest: a
// profile whose slices name itself (a Bundle of Bundles) ends there.
const maxProfileDepth = 3

// step is one step of a discriminator path.
type step struct {
	name string // the member ("" for resolve() and ofType())
	fn   string // "", "resolve", "extension" (name is the member, arg the url), "ofType"
	arg  string
}

// parsePath reads a discriminator path; ok is false for FHIRPath beyond
// what R4 allows there.
func parsePath(path string) (steps []step, ok bool) {
	for _, seg := range splitPath(path) {
		switch {
		case seg == "$this":
		case seg == "resolve()":
			steps = append(steps, step{fn: "resolve"})
		case strings.HasPrefix(seg, "ofType(") && strings.HasSuffix(seg, ")"):
			steps = append(steps, step{fn: "ofType", arg: seg[len("ofType(") : len(seg)-1]})
		case strings.HasSuffix(seg, "')") && strings.Contains(seg, "xtension('"):
			name, arg, _ := strings.Cut(strings.TrimSuffix(seg, "')"), "('")
			if name != "extension" && name != "modifierExtension" {
				return nil, false
			}
			steps = append(steps, step{name: name, fn: "extension", arg: arg})
		case seg != "" && !strings.ContainsAny(seg, "()'$ "):
			steps = append(steps, step{name: strings.TrimSuffix(seg, "[x]")})
		default:
			return nil, false
		}
	}
	return steps, true
}

// splitPath splits a path at the dots outside parentheses and quotes (an
// extension's url has dots of its own).
func splitPath(path string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range path {
		switch {
		case r == '\'':
			quoted = !quoted
		case quoted:
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == '.' && depth == 0:
			out = append(out, path[start:i])
			start = i + 1
		}
	}
	return append(out, path[start:])
}

// node is a value a path reaches, with its FHIR type when the path told it
// (a choice element's key) or the value does (a resource).
type node struct {
	val any
	typ string
}

func (n node) typeName() string {
	if m, ok := n.val.(map[string]any); ok {
		if rt, ok := m["resourceType"].(string); ok {
			return rt
		}
	}
	return n.typ
}

// follow lists the values a path reaches from a value. The list is the
// checker's scratch space, valid until the next call.
func (c *checker) follow(v inst, steps []step) []node {
	nodes := append(c.scratch[0][:0], node{v.val, v.typ})
	next := c.scratch[1][:0]
	for _, st := range steps {
		next = next[:0]
		for _, n := range nodes {
			obj, _ := n.val.(map[string]any)
			switch st.fn {
			case "resolve":
				if res := c.resolve(obj); res != nil {
					next = append(next, node{val: res})
				}
			case "ofType":
				if strings.EqualFold(n.typeName(), st.arg) {
					next = append(next, n)
				}
			case "extension":
				exts, _ := obj[st.name].([]any)
				for _, x := range exts {
					if m, ok := x.(map[string]any); ok && m["url"] == st.arg {
						next = append(next, node{val: m, typ: "Extension"})
					}
				}
			default:
				switch x := obj[st.name].(type) {
				case nil:
					if obj != nil {
						for _, f := range members(obj, st.name+"[x]", "") {
							next = append(next, node{f.val, f.typ})
						}
					}
				case []any:
					for _, item := range x {
						next = append(next, node{val: item})
					}
				default:
					next = append(next, node{val: x})
				}
			}
		}
		nodes, next = next, nodes
	}
	c.scratch[0], c.scratch[1] = nodes, next
	return nodes
}

// resolve finds the target of a Reference within the resource checked: a
// contained resource (#id), or an entry, by fullUrl or type/id, of the
// Bundle checked or of the Bundle whose entry is being checked.
func (c *checker) resolve(ref map[string]any) map[string]any {
	target, _ := ref["reference"].(string)
	if target == "" {
		return nil
	}
	if id, ok := strings.CutPrefix(target, "#"); ok {
		contained, _ := c.res["contained"].([]any)
		for _, x := range contained {
			if m, ok := x.(map[string]any); ok && m["id"] == id {
				return m
			}
		}
		return nil
	}
	entries, _ := c.bundle["entry"].([]any)
	for _, x := range entries {
		e, _ := x.(map[string]any)
		res, _ := e["resource"].(map[string]any)
		if res == nil {
			continue
		}
		full, _ := e["fullUrl"].(string)
		rt, _ := res["resourceType"].(string)
		id, _ := res["id"].(string)
		if full == target || (id != "" && (target == rt+"/"+id || strings.HasSuffix(full, "/"+target))) {
			return res
		}
	}
	return nil
}

// target is the slice's definition of the element a path reaches, or nil
// when the profile does not constrain it.
func (p *Profile) target(s *element, steps []step) *element {
	e := s
	for _, st := range steps {
		switch st.fn {
		case "resolve":
		case "ofType":
			// A choice narrowed to one type may be defined as the choice's
			// slice (value[x]:valueQuantity); otherwise the choice stands.
			base := strings.TrimSuffix(e.name, "[x]")
			for _, sl := range p.slices[e.ID] {
				if strings.EqualFold(sl.slice, base+st.arg) {
					e = sl
				}
			}
		case "extension":
			var found *element
			for _, sl := range p.slices[e.ID+"."+st.name] {
				if contains(sl.Profiles, st.arg) {
					found = sl
				}
			}
			if found == nil {
				return nil
			}
			e = found
		default:
			next := p.byID[e.ID+"."+st.name]
			if next == nil {
				next = p.byID[e.ID+"."+st.name+"[x]"]
			}
			if next == nil {
				return nil
			}
			e = next
		}
	}
	return e
}

func resolves(steps []step) bool {
	for _, st := range steps {
		if st.fn == "resolve" {
			return true
		}
	}
	return false
}

func (c *checker) inSlice(base, s *element, v inst) bool {
	if len(base.Slicing.Discriminator) == 0 {
		return false
	}
	for i, d := range base.Slicing.Discriminator {
		steps := base.paths[i]
		if steps == nil {
			c.cannotTell(s, v, "its discriminator path %q is not supported here", d.Path)
			return false
		}
		target := c.p.target(s, steps)
		got := c.follow(v, steps)
		var ok bool
		switch d.Type {
		case "value", "pattern":
			ok = c.byValue(d.Path, s, target, got)
		case "exists":
			ok = c.byExists(s, target, got, v)
		case "type":
			ok = c.byType(s, target, resolves(steps), got, v)
		case "profile":
			ok = c.byProfile(s, target, resolves(steps), got, v)
		default:
			c.cannotTell(s, v, "the discriminator type %q is not one R4 defines", d.Type)
			return false
		}
		if !ok {
			return false
		}
	}
	return true
}

// byValue: the value at the path is the slice's fixed value or matches
// its pattern (an extension's url is its profile), or its code is in the
// slice's required value set.
func (c *checker) byValue(path string, s, target *element, got []node) bool {
	var want any
	var exact bool
	if target != nil {
		for _, f := range target.Fixed {
			want, exact = f, true
		}
		for _, p := range target.Pattern {
			want = p
		}
	}
	if want == nil && path == "url" && len(s.Profiles) > 0 {
		want, exact = s.Profiles[0], true
	}
	if want == nil && target != nil && target.Binding != nil && target.Binding.Strength == "required" {
		vals := make([]any, len(got))
		for i, n := range got {
			vals[i] = n.val
		}
		return c.inValueSet(target.Binding.ValueSet, vals)
	}
	if want == nil {
		return false
	}
	for _, n := range got {
		if matches(want, n.val) && (!exact || matches(n.val, want)) {
			return true
		}
	}
	return false
}

// byExists: the element at the path is present when the slice requires
// it, absent when the slice prohibits it.
func (c *checker) byExists(s, target *element, got []node, v inst) bool {
	switch {
	case target != nil && target.Min > 0:
		return len(got) > 0
	case target != nil && target.Max == "0":
		return len(got) == 0
	}
	c.cannotTell(s, v, "its exists discriminator names an element the slice neither requires nor prohibits")
	return false
}

// byType: the value at the path is of one of the slice's types; after
// resolve(), its resource type is one its target profiles name.
func (c *checker) byType(s, target *element, resolved bool, got []node, v inst) bool {
	var types []string
	switch {
	case target != nil && resolved:
		for _, url := range target.Targets {
			types = append(types, c.p.set.typeOf(url))
		}
	case target != nil:
		types = target.Types
	}
	if len(types) == 0 {
		c.cannotTell(s, v, "its type discriminator names an element without types")
		return false
	}
	for _, n := range got {
		if hasTypeFold(types, n.typeName()) {
			return true
		}
	}
	return false
}

// byProfile: the resource at the path conforms (no error) to one of the
// slice's profiles; after resolve(), to one of its target profiles.
func (c *checker) byProfile(s, target *element, resolved bool, got []node, v inst) bool {
	var urls []string
	if target != nil {
		urls = target.Profiles
		if resolved {
			urls = target.Targets
		}
	}
	if len(urls) == 0 {
		c.cannotTell(s, v, "its profile discriminator names an element without profiles")
		return false
	}
	if c.depth >= maxProfileDepth {
		c.cannotTell(s, v, "its profiles nest deeper than %d", maxProfileDepth)
		return false
	}
	var known []*Profile
	var coreTypes []string // a core resource's definition: any resource of the type conforms
	for _, url := range urls {
		if rt, ok := strings.CutPrefix(url, coreDefinition); ok {
			coreTypes = append(coreTypes, rt)
		} else if p, ok := c.p.set.Find(url); ok {
			known = append(known, p)
		}
	}
	if len(known) == 0 && len(coreTypes) == 0 {
		c.cannotTell(s, v, "the profiles %s are not loaded here", strings.Join(urls, ", "))
		return false
	}
	for _, n := range got {
		res, _ := n.val.(map[string]any)
		if res == nil {
			continue
		}
		if rt, _ := res["resourceType"].(string); contains(coreTypes, rt) {
			return true
		}
		for _, p := range known {
			if res["resourceType"] != p.Type {
				continue
			}
			issues := p.check(res, c.bundle, c.depth+1)
			c.passOn(issues, v)
			if !hasError(issues) {
				return true
			}
		}
	}
	return false
}

func hasError(issues []Issue) bool {
	for _, is := range issues {
		if is.Severity == Error {
			return true
		}
	}
	return false
}

// cannotTell reports, once per slice, that its discriminators cannot be
// evaluated here, so that no value is counted in it.
func (c *checker) cannotTell(s *element, v inst, format string, a ...any) {
	c.warnOnce(s.ID, v.path, "the slice %s cannot be told apart: %s (from %s)", s.ID, fmt.Sprintf(format, a...), c.p.Canonical())
}

// passOn reports, once each, the slices a nested check could not tell
// apart: its verdict depends on them.
func (c *checker) passOn(nested []Issue, v inst) {
	for _, is := range nested {
		if is.Severity == Warning && strings.Contains(is.Message, "cannot be told apart") {
			c.warnOnce(is.Message, v.path, "%s", is.Message)
		}
	}
}

func (c *checker) warnOnce(key, path, format string, a ...any) {
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	if !c.warned[key] {
		c.warned[key] = true
		c.add(Warning, path, "", format, a...)
	}
}

// coreDefinition is the canonical URL prefix of R4's own definitions.
const coreDefinition = "http://hl7.org/fhir/StructureDefinition/"

// typeOf is the resource type a profile URL constrains: a loaded profile's
// type, or the name of a core resource's definition.
func (s *Set) typeOf(url string) string {
	if p, ok := s.Find(url); ok {
		return p.Type
	}
	url, _, _ = strings.Cut(url, "|")
	return strings.TrimPrefix(url, coreDefinition)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
