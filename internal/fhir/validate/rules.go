package validate

//go:generate sh -c "go run ../../../tools/rulegen -defs \"$(../../../tools/fhirdefs.sh)\" -out ."

import (
	"fmt"

	"github.com/emedpractice/emp/internal/fhir/fhirpath"
)

// The rules beyond structure, generated from the definitions (zz_rules.go):
// the invariants of severity error (FHIRPath, evaluated with package
// fhirpath) and the required bindings of coded elements, with their value
// sets expanded at generate time. They are checked on a resource only once
// its structure is valid, so the expressions see the shapes they were
// written for.

type invariantDef struct {
	context, member, key, human, expr string
}

type valueSetDef struct {
	url   string
	codes []string // "system|code"
}

type bindingDef struct {
	typ, member string
	vs          int
}

type invariant struct {
	key, human string
	expr       *fhirpath.Expression
}

type boundSet struct {
	url    string
	codes  map[string]bool // "system|code"
	byCode map[string]bool // the codes alone, for code elements and Codings without a system
}

// ruleTables are the generated rules indexed by type, built once when the
// package is loaded and only read afterwards.
type ruleTables struct {
	self    map[typeID][]invariant            // on objects of the type
	members map[typeID]map[string][]invariant // on a member's values
	binds   map[typeID]map[string]*boundSet
	domain  typeID
	plain   map[typeID]bool // resources that are not DomainResources
	// broken lists invariants the engine cannot compile (a test keeps it
	// empty); they are not checked.
	broken []string
}

var rules = buildRules()

func buildRules() *ruleTables {
	r := &ruleTables{self: map[typeID][]invariant{}, members: map[typeID]map[string][]invariant{},
		binds: map[typeID]map[string]*boundSet{}}
	r.domain, _ = typeByName("DomainResource")
	r.plain = map[typeID]bool{}
	for _, n := range []string{"Bundle", "Binary", "Parameters"} {
		id, _ := typeByName(n)
		r.plain[id] = true
	}
	for _, d := range invariants {
		id, ok := typeByName(d.context)
		if !ok {
			r.broken = append(r.broken, d.key+": unknown type "+d.context)
			continue
		}
		e, err := fhirpath.Compile(d.expr)
		if err != nil {
			r.broken = append(r.broken, d.key+": "+err.Error())
			continue
		}
		inv := invariant{key: d.key, human: d.human, expr: e}
		if d.member == "" {
			r.self[id] = append(r.self[id], inv)
			continue
		}
		if r.members[id] == nil {
			r.members[id] = map[string][]invariant{}
		}
		r.members[id][d.member] = append(r.members[id][d.member], inv)
	}
	sets := make([]*boundSet, len(valueSets))
	for i, vs := range valueSets {
		s := &boundSet{url: vs.url, codes: make(map[string]bool, len(vs.codes)), byCode: make(map[string]bool, len(vs.codes))}
		for _, c := range vs.codes {
			s.codes[c] = true
			for j := len(c) - 1; j >= 0; j-- {
				if c[j] == '|' {
					s.byCode[c[j+1:]] = true
					break
				}
			}
		}
		sets[i] = s
	}
	for _, b := range bindings {
		id, ok := typeByName(b.typ)
		if !ok {
			continue
		}
		if r.binds[id] == nil {
			r.binds[id] = map[string]*boundSet{}
		}
		r.binds[id][b.member] = sets[b.vs]
	}
	return r
}

// evalOptions are shared by every evaluation: the model, nothing mutable.
var evalOptions = &fhirpath.Options{Model: model{}}

// checkRules walks a structurally valid resource and checks its invariants
// and required bindings.
func (v *validator) checkRules(id typeID, obj map[string]any) {
	v.ruleObject(id, obj, fhirpath.Resource(obj))
}

func (v *validator) ruleObject(id typeID, obj map[string]any, root fhirpath.Item) {
	t := &types[id]
	// ele-1 (every element has a value or children other than id): the
	// structure check refuses empty objects; an id alone is caught here.
	if _, hasID := obj["id"]; hasID && len(obj) == 1 && t.kind != kindResource {
		v.fail("ele-1: All FHIR elements must have a @value or children")
	}
	if t.kind == kindResource && !rules.plain[id] {
		v.invariants(rules.self[rules.domain], obj, "DomainResource", root)
	}
	v.invariants(rules.self[id], obj, t.name, root)
	members, binds := rules.members[id], rules.binds[id]
	for name, val := range obj {
		if v.full {
			return
		}
		e, ok := t.lookup(name)
		if !ok {
			continue // resourceType, _name: structure has checked them
		}
		ct := &types[e.typ]
		bound, invs := binds[name], members[name]
		if bound == nil && invs == nil && ct.kind == kindPrimitive {
			continue
		}
		n := v.push(name)
		each(val, func(i int, x any) {
			m := len(v.path)
			if i >= 0 {
				v.pushIndex(i)
			}
			if bound != nil {
				v.binding(bound, e.typ, x)
			}
			if len(invs) > 0 {
				v.invariants(invs, x, ct.name, root)
			}
			if child, ok := x.(map[string]any); ok {
				switch ct.kind {
				case kindComplex:
					v.ruleObject(e.typ, child, root)
				case kindAnyResource:
					if rt, ok := child["resourceType"].(string); ok {
						if rid, ok := resourceType(rt); ok {
							// A contained resource's %resource is its
							// container; an entry's is itself.
							r := root
							if name != "contained" {
								r = fhirpath.Resource(child)
							}
							v.ruleObject(rid, child, r)
						}
					}
				}
			}
			v.path = v.path[:m]
		})
		v.path = v.path[:n]
	}
}

func each(val any, f func(i int, x any)) {
	if arr, ok := val.([]any); ok {
		for i, x := range arr {
			if x != nil {
				f(i, x)
			}
		}
		return
	}
	f(-1, val)
}

// invariants evaluates invariants on one value. An expression the engine
// cannot evaluate on it does not fail the resource (the invariant tests keep
// that from happening on the specification's examples).
func (v *validator) invariants(invs []invariant, x any, typ string, root fhirpath.Item) {
	for _, inv := range invs {
		ok, err := inv.expr.EvalBool(root, fhirpath.Element(x, typ), evalOptions)
		if err == nil && !ok {
			v.fail(inv.key + ": " + inv.human)
		}
	}
}

// binding checks a code, Coding or CodeableConcept against a required value
// set.
func (v *validator) binding(vs *boundSet, typ typeID, x any) {
	switch types[typ].name {
	case "code":
		if s, ok := x.(string); ok && !vs.byCode[s] {
			v.fail(fmt.Sprintf("%s is not in the required value set %s", quoted(s), vs.url))
		}
	case "Coding":
		if c, ok := x.(map[string]any); ok {
			if code, system, ok := codingOf(c); ok && !vs.hasCoding(system, code) {
				v.fail(fmt.Sprintf("%s is not in the required value set %s", quoted(system+"|"+code), vs.url))
			}
		}
	case "CodeableConcept":
		cc, _ := x.(map[string]any)
		codings, _ := cc["coding"].([]any)
		var first string
		for _, c := range codings {
			m, _ := c.(map[string]any)
			code, system, ok := codingOf(m)
			if !ok {
				continue
			}
			if vs.hasCoding(system, code) {
				return
			}
			if first == "" {
				first = system + "|" + code
			}
		}
		if first != "" {
			v.fail(fmt.Sprintf("no coding is in the required value set %s (%s is not)", vs.url, quoted(first)))
		}
	}
}

func codingOf(m map[string]any) (code, system string, ok bool) {
	code, _ = m["code"].(string)
	system, _ = m["system"].(string)
	return code, system, code != ""
}

func (vs *boundSet) hasCoding(system, code string) bool {
	if system == "" {
		return vs.byCode[code]
	}
	return vs.codes[system+"|"+code]
}
