package terminology

import (
	"fmt"
	"strings"
)

// Verdict is the answer of $validate-code.
type Verdict struct {
	Result  bool
	Message string
	Display string // the display of the code found
}

// CodeOptions are the $validate-code parameters beyond the codes.
type CodeOptions struct {
	// DisplayLanguage is the language the answered display is in, when the
	// concept has a designation in it.
	DisplayLanguage string
	// Abstract admits abstract (notSelectable) concepts; R4's default is
	// that they are not valid codes to record.
	Abstract bool
}

// ValidateCodings checks codings against an expansion: the answer is true
// when one of them is in it (a coding without a system matches a code the
// expansion holds in one system only), is not abstract unless allowed, its
// system version (when given) is the carried one, and its display, when
// given, is the concept's display or one of its designations. An inactive
// code is valid, with a message saying so.
func (t *Tables) ValidateCodings(expansion []Entry, label string, codings []Coding, o CodeOptions) Verdict {
	var msgs []string
	for _, c := range codings {
		found, ambiguous := find(expansion, c)
		switch {
		case ambiguous:
			msgs = append(msgs, fmt.Sprintf("the code %q is in more than one system of the value set %s; give the system", c.Code, label))
			continue
		case found == nil:
			msgs = append(msgs, "the code "+name(c)+" is not in the value set "+label)
			continue
		}
		if cs := t.systems[found.System]; c.Version != "" && cs != nil && cs.Version != "" && c.Version != cs.Version {
			msgs = append(msgs, fmt.Sprintf("the code system %s is known to this server in version %s, not %s", found.System, cs.Version, c.Version))
			continue
		}
		if found.Abstract && !o.Abstract {
			msgs = append(msgs, fmt.Sprintf("the code %s is abstract (not selectable); give abstract=true where a grouping code is allowed", name(found.Coding)))
			continue
		}
		display := DisplayIn(found.Display, found.Designation, o.DisplayLanguage)
		if c.Display != "" && !t.displayOK(found.Coding, c.Display) {
			return Verdict{Message: fmt.Sprintf("the display %q is not a display of %s; it is %q", c.Display, name(found.Coding), display),
				Display: display}
		}
		v := Verdict{Result: true, Display: display}
		if found.Inactive {
			v.Message = fmt.Sprintf("the code %s is inactive in its code system", name(found.Coding))
		}
		return v
	}
	if len(msgs) == 0 {
		return Verdict{Message: "no code was given"}
	}
	return Verdict{Message: strings.Join(msgs, "; ")}
}

// find is the entry of the expansion a coding names, or nil; ambiguous
// when the coding has no system and two systems hold its code.
func find(expansion []Entry, c Coding) (hit *Entry, ambiguous bool) {
	for i := range expansion {
		x := &expansion[i]
		if x.Code != c.Code || (c.System != "" && x.System != c.System) {
			continue
		}
		if hit != nil {
			return nil, true
		}
		hit = x
	}
	return hit, false
}

func name(c Coding) string {
	if c.System == "" {
		return fmt.Sprintf("%q", c.Code)
	}
	return fmt.Sprintf("%s|%s", c.System, c.Code)
}

// displayOK tells whether a display is one of the concept's: its display
// in the value set, in its code system, or a designation there (case and
// spacing aside).
func (t *Tables) displayOK(c Coding, display string) bool {
	same := func(a string) bool {
		return a != "" && strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(display))
	}
	if same(c.Display) {
		return true
	}
	if cs := t.systems[c.System]; cs != nil {
		if cc := cs.Find(c.Code); cc != nil {
			if same(cc.Display) {
				return true
			}
			for _, d := range cc.Designations {
				if same(d.Value) {
					return true
				}
			}
		}
	}
	return false
}

// Lookup finds a code in a carried code system. A system not carried, or
// carried in part without the code, is a NotSupportedError; a code a
// complete system does not hold is found false.
func (t *Tables) Lookup(system, code string) (*CodeSystem, *Concept, error) {
	cs := t.systems[system]
	if cs == nil {
		return nil, nil, notSupported("the code system %s is not available on this server", system)
	}
	c := cs.Find(code)
	if c == nil && !cs.Complete() {
		return nil, nil, notSupported("this server holds only part of the code system %s (%s), not the code %q", system, cs.Content, code)
	}
	return cs, c, nil
}
