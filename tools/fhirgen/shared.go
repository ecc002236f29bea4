package main

import (
	"sort"
	"strings"
)

// shareRows finds the parameters whose index rows other parameters of the
// same type hold already, and records those in RowsOf: the store then
// writes no rows for them and answers them from the others' rows.
//
// A parameter's rows depend only on its type and on the elements its paths
// reach (and, for a reference, the target types its paths accept; for a
// composite, its components' types and paths). So when
// a parameter's paths are exactly the paths of some others together, its
// rows are exactly theirs: Observation combo-code is code plus
// component-code, and combo-code-value-quantity is code-value-quantity plus
// component-code-value-quantity. A reference parameter that accepts only some target types
// shares the rows of one that accepts every type on the same paths,
// restricted to its types when searching: Observation patient is subject
// where the target is a Patient. These pairs are common in the
// specification and indexing both sides doubled a quarter of all index rows.
//
// Only parameters that keep their own rows and accept every target type can
// be shared; they are found first by taking parameters with fewer paths
// first, and an exact duplicate shares the rows of the one whose code sorts
// first.
func (g *gen) shareRows() {
	for _, ps := range g.params {
		var list []*param
		for _, p := range ps {
			if p.Type != "special" && len(p.Paths) > 0 && (p.Type != "composite" || len(p.Components) > 0) {
				list = append(list, p)
			}
		}
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if len(a.Paths) != len(b.Paths) {
				return len(a.Paths) < len(b.Paths)
			}
			if ra, rb := restricted(a), restricted(b); ra != rb {
				return !ra
			}
			return a.Code < b.Code
		})
		var own []*param // parameters keeping their rows, sources for others
		for _, p := range list {
			if uniformRefTypes(p) {
				if rowsOf := cover(p, own); rowsOf != nil {
					p.RowsOf = rowsOf
					continue
				}
			}
			if !restricted(p) {
				own = append(own, p)
			}
		}
	}
}

// cover returns the codes of the parameters in own whose paths together are
// exactly p's paths, largest first, or nil when they cannot be.
func cover(p *param, own []*param) []string {
	want := pathKeys(p)
	cands := make([]*param, 0, 4)
	for _, q := range own {
		if q.Type != p.Type {
			continue
		}
		if subset(pathKeys(q), want) {
			cands = append(cands, q)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].Paths) > len(cands[j].Paths) })
	got := map[string]bool{}
	var codes []string
	for _, q := range cands {
		added := false
		for k := range pathKeys(q) {
			if !got[k] {
				got[k], added = true, true
			}
		}
		if added {
			codes = append(codes, q.Code)
		}
	}
	if len(got) != len(want) || len(codes) == 0 {
		return nil
	}
	sort.Strings(codes)
	return codes
}

// pathKeys identifies each path of p by its steps and datatype, without the
// target types it accepts. A composite's rows pair its components' values
// found under each of its paths, so its key for a path also holds the
// components' types and relative paths (not their codes: Observation
// combo-code-value-quantity pairs combo-code with combo-value-quantity,
// code-value-quantity code with value-quantity, on the same elements).
func pathKeys(p *param) map[string]bool {
	var comps strings.Builder
	for _, c := range p.Components {
		comps.WriteString("|" + c.Type)
		for _, pa := range c.Paths {
			comps.WriteString(" " + pathKey(pa))
		}
	}
	out := make(map[string]bool, len(p.Paths))
	for _, pa := range p.Paths {
		out[pathKey(pa)+comps.String()] = true
	}
	return out
}

func pathKey(pa path) string {
	var b strings.Builder
	for _, s := range pa.Steps {
		b.WriteString(s.Name)
		if s.WhereField != "" {
			b.WriteString("[" + s.WhereField + "=" + s.WhereValue + "]")
		}
		b.WriteByte('.')
	}
	b.WriteString(":" + pa.Type)
	return b.String()
}

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// restricted reports a path of p that accepts only some target types.
func restricted(p *param) bool {
	for _, pa := range p.Paths {
		if len(pa.RefTypes) > 0 {
			return true
		}
	}
	return false
}

// uniformRefTypes reports whether every path of p accepts the same target
// types: a search can restrict shared rows to one set of types, not to a
// set per path.
func uniformRefTypes(p *param) bool {
	first := strings.Join(p.Paths[0].RefTypes, ",")
	for _, pa := range p.Paths[1:] {
		if strings.Join(pa.RefTypes, ",") != first {
			return false
		}
	}
	return true
}
