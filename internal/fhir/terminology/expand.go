package terminology

import (
	"strings"
)

// maxDepth bounds the value sets a compose may include through others, so
// a cycle (or a stored value set including itself) ends.
const maxDepth = 12

// Expand lists the codes of a value set of the tables, in the order of its
// compose, each once. A value set the tables do not hold is a
// NotSupportedError too: the server cannot know its codes.
func (t *Tables) Expand(url string) ([]Entry, error) {
	return t.expandURL(url, 0)
}

// ExpandCompose lists the codes of a compose (of a stored value set).
func (t *Tables) ExpandCompose(c *Compose) ([]Entry, error) {
	return t.compose(c, 0)
}

func (t *Tables) expandURL(url string, depth int) ([]Entry, error) {
	url, _, _ = strings.Cut(url, "|")
	vs := t.valueSets[url]
	if vs == nil {
		return nil, notSupported("the value set %s is not known to this server", url)
	}
	if vs.Compose == nil {
		return nil, notSupported("the value set %s has no definition this server can expand", url)
	}
	if depth > maxDepth {
		return nil, notSupported("the value set %s includes value sets too deeply", url)
	}
	return t.compose(vs.Compose, depth)
}

func (t *Tables) compose(c *Compose, depth int) ([]Entry, error) {
	out, err := t.composeAll(c, depth)
	if err != nil || c.Inactive == nil || *c.Inactive {
		return out, err
	}
	return activeOnly(out), nil
}

func (t *Tables) composeAll(c *Compose, depth int) ([]Entry, error) {
	var out []Entry
	seen := map[codeKey]bool{}
	for _, inc := range c.Include {
		codes, err := t.include(inc, depth)
		if err != nil {
			return nil, err
		}
		if len(c.Include) == 1 && out == nil {
			out = make([]Entry, 0, len(codes))
		}
		for _, x := range codes {
			if k := x.key(); !seen[k] {
				seen[k] = true
				out = append(out, x)
			}
		}
	}
	if len(c.Exclude) == 0 {
		return out, nil
	}
	drop := map[codeKey]bool{}
	for _, exc := range c.Exclude {
		codes, err := t.include(exc, depth)
		if err != nil {
			return nil, err
		}
		for _, x := range codes {
			drop[x.key()] = true
		}
	}
	kept := out[:0]
	for _, x := range out {
		if !drop[x.key()] {
			kept = append(kept, x)
		}
	}
	return kept, nil
}

// include lists the codes of one include: those of its system (all, the
// listed ones, or the filtered ones) intersected with those of every value
// set it names, as R4 defines it.
func (t *Tables) include(inc Include, depth int) ([]Entry, error) {
	var sets [][]Entry
	for _, ref := range inc.ValueSet {
		codes, err := t.expandURL(ref, depth+1)
		if err != nil {
			return nil, err
		}
		sets = append(sets, codes)
	}
	var codes []Entry
	switch {
	case inc.System == "" && len(sets) == 0:
		return nil, nil
	case inc.System == "":
		codes, sets = sets[0], sets[1:]
	default:
		var err error
		if codes, err = t.systemCodes(inc); err != nil {
			return nil, err
		}
	}
	for _, s := range sets {
		in := make(map[codeKey]bool, len(s))
		for _, x := range s {
			in[x.key()] = true
		}
		kept := codes[:0:0] // a fresh array: codes may be another set's
		for _, x := range codes {
			if in[x.key()] {
				kept = append(kept, x)
			}
		}
		codes = kept
	}
	return codes, nil
}

// systemCodes lists the codes an include takes from its system.
func (t *Tables) systemCodes(inc Include) ([]Entry, error) {
	system, _, _ := strings.Cut(inc.System, "|")
	cs := t.systems[system]
	if len(inc.Concept) > 0 {
		// Listed codes are served even from a system not carried; their
		// displays come from the code system when it is carried.
		out := make([]Entry, 0, len(inc.Concept))
		for _, c := range inc.Concept {
			e := Entry{Coding: Coding{System: system, Code: c.Code, Display: c.Display}, Designation: c.Designation}
			if cs != nil {
				if cc := cs.Find(c.Code); cc != nil {
					if e.Display == "" {
						e.Display = cc.Display
					}
					e.Abstract, e.Inactive = cc.Abstract, cc.Inactive
					e.Designation = append(e.Designation[:len(e.Designation):len(e.Designation)], cc.Designations...)
				}
			}
			out = append(out, e)
		}
		return out, nil
	}
	if cs == nil {
		return nil, notSupported("the code system %s is not available on this server, so its codes cannot be enumerated", system)
	}
	if !cs.Complete() {
		return nil, notSupported("this server holds only part of the code system %s (%s), so its codes cannot be enumerated", system, cs.Content)
	}
	keep := make([]bool, len(cs.Concepts))
	for i := range keep {
		keep[i] = true
	}
	for _, f := range inc.Filter {
		sel, err := cs.filter(f.Property, f.Op, f.Value)
		if err != nil {
			return nil, err
		}
		for i := range keep {
			keep[i] = keep[i] && sel[i]
		}
	}
	n := 0
	for _, k := range keep {
		if k {
			n++
		}
	}
	out := make([]Entry, 0, n)
	for i, c := range cs.Concepts {
		if keep[i] {
			out = append(out, Entry{Coding: Coding{System: system, Code: c.Code, Display: c.Display},
				Abstract: c.Abstract, Inactive: c.Inactive, Designation: c.Designations})
		}
	}
	return out, nil
}

// filter selects the concepts a compose filter takes: the hierarchy
// filters of property concept, and code lists (in, not-in, =).
func (cs *CodeSystem) filter(property, op, value string) ([]bool, error) {
	sel := make([]bool, len(cs.Concepts))
	switch {
	case (property == "concept" || property == "code") && (op == "is-a" || op == "descendent-of" || op == "is-not-a"):
		root, ok := cs.index[value]
		if !ok {
			return nil, notSupported("the filter %s %s %s names a code that %s does not hold", property, op, value, cs.URL)
		}
		var mark func(i int)
		mark = func(i int) {
			sel[i] = true
			for _, c := range cs.children[i] {
				mark(c)
			}
		}
		mark(root)
		if op == "descendent-of" {
			sel[root] = false
		}
		if op == "is-not-a" {
			for i := range sel {
				sel[i] = !sel[i]
			}
		}
	case (property == "concept" || property == "code") && (op == "=" || op == "in" || op == "not-in"):
		want := map[string]bool{}
		for _, v := range strings.Split(value, ",") {
			want[strings.TrimSpace(v)] = true
		}
		for i, c := range cs.Concepts {
			sel[i] = want[c.Code] != (op == "not-in")
		}
	default:
		return nil, notSupported("the filter %s %s on %s is not supported by this server", property, op, cs.URL)
	}
	return sel, nil
}

// codeKey tells codes apart across systems.
type codeKey struct{ system, code string }

func (e *Entry) key() codeKey { return codeKey{e.System, e.Code} }

// activeOnly is the entries that are not inactive, in a fresh slice.
func activeOnly(entries []Entry) []Entry {
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		if !e.Inactive {
			out = append(out, e)
		}
	}
	return out
}
