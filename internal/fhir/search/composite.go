package search

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// A composite parameter pairs the values of two parameters found on the same
// element: Observation?component-code-value-quantity=http://loinc.org|8480-6$ge140
// matches an Observation one of whose components has that code and a value
// of at least 140, not one whose systolic component has the code and whose
// diastolic component has the value. The engine indexes each pair of an
// element as one row (CompositeEntry), so searching is one condition on
// both halves of a row.
//
// Every composite of R4 that pairs values on one element starts with a
// token, but DocumentReference relationship, which starts with a reference
// (relationship=DocumentReference/123$replaces); the engine supports those
// whose second component is a token, quantity, number, date or string, with
// exactly two components. A reference's target type and id take the
// token's system and code in the row. Others (the three-part
// MolecularSequence coordinates) are refused as unsupported, and the
// CapabilityStatement does not list them.

// compositeSecond lists the types a composite's second component may have.
var compositeSecond = map[spec.ParamType]bool{
	spec.ParamToken: true, spec.ParamQuantity: true, spec.ParamNumber: true,
	spec.ParamDate: true, spec.ParamString: true,
}

// compositeSearchable reports whether the engine indexes and searches p, a
// composite: two components, a token or a reference first, both compiled.
func compositeSearchable(p *spec.SearchParam) bool {
	if len(p.Paths) == 0 || len(p.Components) != 2 {
		return false
	}
	first, second := &p.Components[0], &p.Components[1]
	return (first.Type == spec.ParamToken || first.Type == spec.ParamReference) && compositeSecond[second.Type] &&
		len(first.Paths) > 0 && len(second.Paths) > 0
}

// componentParam is the parameter a component stands for, as the value
// parser and the extractor see it.
func componentParam(c *spec.Component) *spec.SearchParam {
	return &spec.SearchParam{Code: c.Code, Type: c.Type}
}

// parseComposite parses one composite value, token$value: the parts are
// split on $ not escaped as \$, and each is parsed as its component's type
// (prefixes and all).
func parseComposite(p *spec.SearchParam, s string) (Value, error) {
	v := Value{Raw: s}
	parts := splitUnescaped(s, '$')
	if len(parts) != len(p.Components) {
		return v, errs.E(errs.Invalid, "a value has %d parts separated by $ (%s), got %d in %q",
			len(p.Components), componentNames(p), len(parts), s)
	}
	for i, part := range parts {
		c := &p.Components[i]
		pv, err := parseValue(componentParam(c), "", part)
		if err != nil {
			msg := err.Error()
			if e, ok := err.(*errs.Error); ok {
				msg = e.Message
			}
			return v, errs.E(errs.Invalid, "part %d (%s, a %s): %s", i+1, c.Code, c.Type, msg)
		}
		v.Parts = append(v.Parts, pv)
	}
	return v, nil
}

func componentNames(p *spec.SearchParam) string {
	names := make([]string, len(p.Components))
	for i, c := range p.Components {
		names[i] = c.Code
	}
	return strings.Join(names, "$")
}

// splitUnescaped splits s on every sep not escaped with a backslash; the
// parts keep their escapes.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	for {
		before, after, found := cutUnescaped(s, sep)
		out = append(out, before)
		if !found {
			return out
		}
		s = after
	}
}

// extractComposite adds the rows of composite p: for each element its paths
// select, every pairing of the first component's tokens with the second
// component's values found on that element alone.
func (e *Entries) extractComposite(res map[string]any, p *spec.SearchParam) {
	if !compositeSearchable(p) {
		return
	}
	first, second := &p.Components[0], &p.Components[1]
	fp, sp := componentParam(first), componentParam(second)
	for i := range p.Paths {
		walk(res, p.Paths[i].Steps, func(el any) {
			a, b := Entries{local: e.local}, Entries{local: e.local}
			for j := range first.Paths {
				path := &first.Paths[j]
				walk(el, path.Steps, func(v any) { a.add(fp, path, v) })
			}
			heads := make([]CompositeEntry, 0, len(a.Tokens)+len(a.References))
			for _, t := range a.Tokens {
				if t.Code != "" || t.System != "" { // not a CodeableConcept's text
					heads = append(heads, CompositeEntry{Param: p.Code, TSystem: t.System, TCode: t.Code})
				}
			}
			for _, r := range a.References {
				if r.TargetID != "" {
					heads = append(heads, CompositeEntry{Param: p.Code, TSystem: r.TargetType, TCode: r.TargetID})
				}
			}
			if len(heads) == 0 {
				return
			}
			for j := range second.Paths {
				path := &second.Paths[j]
				walk(el, path.Steps, func(v any) { b.add(sp, path, v) })
			}
			for _, head := range heads {
				for _, x := range b.Tokens {
					if x.Code != "" || x.System != "" {
						c := head
						c.System, c.Code = x.System, x.Code
						e.Composites = append(e.Composites, c)
					}
				}
				for _, x := range b.Quantities {
					c := head
					c.Value, c.Key, c.Low, c.High, c.System, c.Code, c.Unit = x.Value, x.Key, x.Low, x.High, x.System, x.Code, x.Unit
					e.Composites = append(e.Composites, c)
				}
				for _, x := range b.Numbers {
					c := head
					c.Value, c.Key, c.Low, c.High = x.Value, x.Key, x.Low, x.High
					e.Composites = append(e.Composites, c)
				}
				for _, x := range b.Dates {
					c := head
					c.DateLow, c.DateHigh = x.Low, x.High
					e.Composites = append(e.Composites, c)
				}
				for _, x := range b.Strings {
					c := head
					c.Norm = x.Norm
					e.Composites = append(e.Composites, c)
				}
			}
		})
	}
}

// ExtractComposites returns the composite index rows of one resource alone
// (Extract returns them with the rest), for filling the composite index of
// resources written before it existed.
func ExtractComposites(rtype string, res map[string]any) []CompositeEntry {
	var e Entries
	for _, p := range spec.SearchParams(rtype) {
		if p.Type == spec.ParamComposite && len(p.RowsOf) == 0 {
			e.extractComposite(res, p)
		}
	}
	return uniq(e.Composites)
}

// CompositeTypes lists the resource types that have a composite parameter
// the engine indexes, sorted.
func CompositeTypes() []string {
	var out []string
	for _, t := range spec.ResourceTypes() {
		for _, p := range spec.SearchParams(t) {
			if p.Type == spec.ParamComposite && compositeSearchable(p) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
