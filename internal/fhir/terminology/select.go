package terminology

import "strings"

// Options are the $expand parameters that shape an expansion once its codes
// are known.
type Options struct {
	Filter string // text the code or the display (in DisplayLanguage) must contain, case folded
	Offset int    // codes skipped, after the filter
	Count  int    // codes listed at most (0 lists none, as R4 allows for a total only)
	// ActiveOnly leaves out the inactive concepts (status retired, inactive
	// or deprecated, or the inactive property true).
	ActiveOnly bool
	// IncludeDesignations lists each concept's designations; without it
	// they are left out.
	IncludeDesignations bool
	// DisplayLanguage picks, for each concept, a designation in that
	// language (BCP-47; "de" takes "de-CH" and the other way round) as the
	// display, and keeps the default display when the concept has none.
	DisplayLanguage string
	// ExcludeNotForUI leaves out the abstract concepts (notSelectable),
	// which a picker should not offer.
	ExcludeNotForUI bool
}

// Select applies the options to an expansion: the codes to list and how
// many matched in all. The entries given are not changed.
func Select(all []Entry, o Options) (total int, page []Entry) {
	f := strings.ToLower(strings.TrimSpace(o.Filter))
	page = []Entry{}
	for _, e := range all {
		if (o.ActiveOnly && e.Inactive) || (o.ExcludeNotForUI && e.Abstract) {
			continue
		}
		if o.DisplayLanguage != "" {
			e.Display = DisplayIn(e.Display, e.Designation, o.DisplayLanguage)
		}
		if f != "" && !containsFold(e.Code, f) && !containsFold(e.Display, f) {
			continue
		}
		total++
		if total <= o.Offset || len(page) >= o.Count {
			continue
		}
		if !o.IncludeDesignations {
			e.Designation = nil
		}
		page = append(page, e)
	}
	return total, page
}

// containsFold tells whether s holds lower (already lower case), case
// folded; ASCII text, most displays, is compared in place without copying.
func containsFold(s, lower string) bool {
	if !isASCII(s) || !isASCII(lower) {
		return strings.Contains(strings.ToLower(s), lower)
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for j < len(lower) {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
			j++
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// DisplayIn is the display of a concept in a language: the value of its
// first designation used as a display (use display, or none given; not a
// definition or a label) in exactly that language, else of its first one
// in a related tag ("de-CH" for "de"), else the default display.
func DisplayIn(display string, designations []Designation, lang string) string {
	if lang == "" {
		return display
	}
	best := ""
	for _, d := range designations {
		if d.Value == "" || !sameLanguage(d.Language, lang) || (d.Use != nil && d.Use.Code != "display") {
			continue
		}
		if strings.EqualFold(d.Language, lang) {
			return d.Value
		}
		if best == "" {
			best = d.Value
		}
	}
	if best != "" {
		return best
	}
	return display
}

// sameLanguage tells whether two BCP-47 tags name the same language: equal
// (case folded), or one is the other with subtags ("de" and "de-CH").
func sameLanguage(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-")
}

// Nest arranges an expansion as its code systems' hierarchy: each code
// under its nearest ancestor that the expansion holds, in the expansion's
// order; codes of systems without hierarchy stay at the top. R4 leaves
// nesting to the server; the $expand of this server nests only when asked
// (excludeNested=false) and the whole expansion is listed, since a page or
// a filter of a tree would drop ancestors.
func (t *Tables) Nest(entries []Entry) []Entry {
	pos := make(map[codeKey]int, len(entries))
	for i := range entries {
		pos[entries[i].key()] = i
	}
	children := make([][]int, len(entries))
	var roots []int
	for i, e := range entries {
		parent := -1
		if cs := t.systems[e.System]; cs != nil {
			if c := cs.Find(e.Code); c != nil {
				for p := c.Parent; p >= 0 && parent < 0; p = cs.Concepts[p].Parent {
					if j, ok := pos[codeKey{e.System, cs.Concepts[p].Code}]; ok && j != i {
						parent = j
					}
				}
			}
		}
		if parent < 0 {
			roots = append(roots, i)
		} else {
			children[parent] = append(children[parent], i)
		}
	}
	var build func(i int) Entry
	build = func(i int) Entry {
		e := entries[i]
		e.Contains = nil
		for _, c := range children[i] {
			e.Contains = append(e.Contains, build(c))
		}
		return e
	}
	out := make([]Entry, len(roots))
	for k, i := range roots {
		out[k] = build(i)
	}
	return out
}
