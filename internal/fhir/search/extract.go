package search

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/spec"
)

// Extract returns the index entries of one resource, decoded with
// json.Decoder.UseNumber. It follows each search parameter's compiled paths
// and indexes what it finds by the datatype the specification gives for the
// element. _id and _lastUpdated are not extracted: the store indexes the id
// and meta.lastUpdated itself. Special parameters are not indexed;
// composites are, element by element (composite.go). A parameter whose rows
// are other parameters' (RowsOf) has no entries of its own.
func Extract(rtype string, res map[string]any) Entries {
	return ExtractLocal(rtype, res, nil)
}

// ExtractLocal is Extract for a server whose own resources are also
// referred to absolutely under local: such a reference indexes the type and
// id it names, as a relative one does; an absolute reference elsewhere
// indexes its URL alone, so it never stands for a resource here.
func ExtractLocal(rtype string, res map[string]any, local LocalBases) Entries {
	e := Entries{local: local}
	for _, p := range spec.SearchParams(rtype) {
		if p.Code == "_id" || p.Code == "_lastUpdated" || len(p.Paths) == 0 || len(p.RowsOf) > 0 {
			continue
		}
		if p.Type == spec.ParamComposite {
			e.extractComposite(res, p)
			continue
		}
		for i := range p.Paths {
			path := &p.Paths[i]
			walk(res, path.Steps, func(v any) { e.add(p, path, v) })
		}
	}
	e.dedup()
	e.local = nil
	return e
}

// walk calls fn for every value reached by following steps from v,
// flattening arrays and applying where() filters.
func walk(v any, steps []spec.Step, fn func(any)) {
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			walk(item, steps, fn)
		}
		return
	case nil:
		return
	}
	if len(steps) == 0 {
		fn(v)
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	st := steps[0]
	next, ok := obj[st.Name]
	if !ok {
		return
	}
	if st.WhereField == "" {
		walk(next, steps[1:], fn)
		return
	}
	filter := func(item any) {
		if m, ok := item.(map[string]any); ok {
			if s, _ := m[st.WhereField].(string); s == st.WhereValue {
				walk(m, steps[1:], fn)
			}
		}
	}
	if arr, ok := next.([]any); ok {
		for _, item := range arr {
			filter(item)
		}
	} else {
		filter(next)
	}
}

func (e *Entries) add(p *spec.SearchParam, path *spec.Path, v any) {
	switch p.Type {
	case spec.ParamString:
		e.addString(p.Code, path.Type, v)
	case spec.ParamToken:
		e.addToken(p.Code, path.Type, v)
	case spec.ParamReference:
		e.addReference(p.Code, path, v)
	case spec.ParamDate:
		e.addDate(p.Code, path.Type, v)
	case spec.ParamNumber:
		if n, ok := number(v); ok {
			val, lo, hi, ok := NumberRange(n)
			key, ok2 := DecimalKey(n)
			if ok && ok2 {
				e.Numbers = append(e.Numbers, NumberEntry{Param: p.Code, Value: val, Key: key, Low: lo, High: hi})
			}
		}
	case spec.ParamQuantity:
		e.addQuantity(p.Code, path.Type, v)
	case spec.ParamURI:
		if s, ok := v.(string); ok && s != "" {
			e.URIs = append(e.URIs, URIEntry{Param: p.Code, Value: s})
		}
	}
}

func (e *Entries) str(param, s string) {
	if s = strings.TrimSpace(s); s != "" {
		e.Strings = append(e.Strings, StringEntry{Param: param, Norm: Fold(s), Value: s})
	}
}

func (e *Entries) addString(param, typ string, v any) {
	switch typ {
	case "HumanName":
		m, _ := v.(map[string]any)
		for _, k := range []string{"family", "given", "prefix", "suffix", "text"} {
			eachString(m[k], func(s string) { e.str(param, s) })
		}
	case "Address":
		m, _ := v.(map[string]any)
		for _, k := range []string{"line", "city", "district", "state", "postalCode", "country", "text"} {
			eachString(m[k], func(s string) { e.str(param, s) })
		}
	default:
		if s, ok := v.(string); ok {
			e.str(param, s)
		}
	}
}

func eachString(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, item := range x {
			if s, ok := item.(string); ok {
				fn(s)
			}
		}
	}
}

func (e *Entries) token(param, system, code, text string) {
	if code == "" && system == "" && text == "" {
		return
	}
	e.Tokens = append(e.Tokens, TokenEntry{Param: param, System: system, Code: code, Text: Fold(text)})
}

func (e *Entries) addToken(param, typ string, v any) {
	switch typ {
	case "Coding":
		m, _ := v.(map[string]any)
		sys, _ := m["system"].(string)
		code, _ := m["code"].(string)
		disp, _ := m["display"].(string)
		e.token(param, sys, code, disp)
	case "CodeableConcept":
		// The text gets a row of its own for :text, unless a coding's
		// display is the same text: its row matches :text already. Most
		// concepts repeat their coding's display as their text, and those
		// rows were a third of all token rows.
		m, _ := v.(map[string]any)
		text, _ := m["text"].(string)
		shown := text == ""
		if codings, ok := m["coding"].([]any); ok {
			for _, c := range codings {
				e.addToken(param, "Coding", c)
				if !shown {
					cm, _ := c.(map[string]any)
					disp, _ := cm["display"].(string)
					shown = disp == text || Fold(disp) == Fold(text)
				}
			}
		}
		if !shown {
			e.token(param, "", "", text)
		}
	case "Identifier":
		m, _ := v.(map[string]any)
		sys, _ := m["system"].(string)
		val, _ := m["value"].(string)
		text := ""
		if t, ok := m["type"].(map[string]any); ok {
			text, _ = t["text"].(string)
		}
		e.token(param, sys, val, text)
	case "ContactPoint":
		m, _ := v.(map[string]any)
		val, _ := m["value"].(string)
		e.token(param, "", val, "")
	case "boolean":
		if b, ok := v.(bool); ok {
			if b {
				e.token(param, "", "true", "")
			} else {
				e.token(param, "", "false", "")
			}
		}
	default:
		if s, ok := v.(string); ok {
			e.token(param, "", s, "")
		}
	}
}

func (e *Entries) addReference(param string, path *spec.Path, v any) {
	var ref string
	switch path.Type {
	case "Reference":
		m, _ := v.(map[string]any)
		ref, _ = m["reference"].(string)
	default: // canonical, uri
		ref, _ = v.(string)
	}
	if ref == "" || strings.HasPrefix(ref, "#") {
		return
	}
	entry := ReferenceEntry{Param: param}
	if strings.Contains(ref, ":") {
		entry.URL = ref
		if i := strings.IndexByte(ref, '|'); i >= 0 {
			entry.URL = ref[:i] // canonical version
		}
		if rel, ok := e.local.Relative(entry.URL); ok {
			entry.TargetType, entry.TargetID = typeAndID(strings.TrimSuffix(rel, "/"), false)
		}
	} else {
		entry.TargetType, entry.TargetID = typeAndID(ref, false)
		if entry.TargetID == "" {
			return
		}
	}
	if len(path.RefTypes) > 0 && !containsString(path.RefTypes, entry.TargetType) {
		return
	}
	e.References = append(e.References, entry)
}

// typeAndID parses "Type/id", "Type/id/_history/v" or a URL ending in
// either; abs says the reference is absolute (the parse is optional).
func typeAndID(ref string, abs bool) (string, string) {
	parts := strings.Split(ref, "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 {
		return "", ""
	}
	t, id := parts[n-2], parts[n-1]
	if c, ok := spec.CanonicalType(t); !ok || c != t || !validID(id) {
		return "", ""
	}
	if !abs && n != 2 {
		return "", ""
	}
	return t, id
}

func (e *Entries) addDate(param, typ string, v any) {
	switch typ {
	case "Period":
		m, _ := v.(map[string]any)
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		start, _ := m["start"].(string)
		end, _ := m["end"].(string)
		if start == "" && end == "" {
			return
		}
		if start != "" {
			if l, _, ok := DateRange(start); ok {
				lo = l
			}
		}
		if end != "" {
			if _, h, ok := DateRange(end); ok {
				hi = h
			}
		}
		e.Dates = append(e.Dates, DateEntry{Param: param, Low: lo, High: hi})
	case "Timing":
		m, _ := v.(map[string]any)
		eachString(m["event"], func(s string) { e.addDate(param, "dateTime", s) })
	default:
		if s, ok := v.(string); ok {
			if lo, hi, ok := DateRange(s); ok {
				e.Dates = append(e.Dates, DateEntry{Param: param, Low: lo, High: hi})
			}
		}
	}
}

func (e *Entries) addQuantity(param, typ string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	n, ok := number(m["value"])
	if !ok {
		return
	}
	val, lo, hi, ok := NumberRange(n)
	key, ok2 := DecimalKey(n)
	if !ok || !ok2 {
		return
	}
	q := QuantityEntry{Param: param, Value: val, Key: key, Low: lo, High: hi}
	if typ == "Money" {
		q.System = "urn:iso:std:iso:4217"
		q.Code, _ = m["currency"].(string)
	} else {
		q.System, _ = m["system"].(string)
		q.Code, _ = m["code"].(string)
		q.Unit, _ = m["unit"].(string)
	}
	e.Quantities = append(e.Quantities, q)
}

// number returns a decoded JSON number as its literal text.
func number(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return string(x), true
	case float64:
		return strings.TrimSpace(json.Number(formatFloat(x)).String()), true
	}
	return "", false
}

func formatFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dedup removes repeated entries (the same coding reached twice).
func (e *Entries) dedup() {
	e.Strings = uniq(e.Strings)
	e.Tokens = uniq(e.Tokens)
	e.References = uniq(e.References)
	e.Dates = uniq(e.Dates)
	e.Numbers = uniq(e.Numbers)
	e.Quantities = uniq(e.Quantities)
	e.URIs = uniq(e.URIs)
	e.Composites = uniq(e.Composites)
}

func uniq[T comparable](s []T) []T {
	if len(s) < 2 {
		return s
	}
	out := s[:0]
	for i, x := range s {
		dup := false
		for _, y := range s[:i] {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}
