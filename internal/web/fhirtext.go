package web

import (
	"fmt"
	"strconv"
	"strings"
)

// Small readers of FHIR JSON (decoded into maps) for display: they never
// fail, answering "" for anything missing or oddly shaped.

func str(m map[string]any, key string) string {
	if m == nil {
		return ""
	}
	switch v := m[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func list(m map[string]any, key string) []map[string]any {
	arr, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if o, ok := x.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// concept is the text of a CodeableConcept: its text, else the first
// coding's display, else its code.
func concept(v any) string {
	m, _ := v.(map[string]any)
	if m == nil {
		return ""
	}
	if t := str(m, "text"); t != "" {
		return t
	}
	for _, c := range list(m, "coding") {
		if d := first(str(c, "display"), str(c, "code")); d != "" {
			return d
		}
	}
	return ""
}

// concepts joins the texts of a list of CodeableConcepts.
func concepts(v any) string {
	arr, _ := v.([]any)
	var out []string
	for _, x := range arr {
		if t := concept(x); t != "" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		// A single CodeableConcept where a list was expected, or codings
		// with only codes.
		if t := concept(v); t != "" {
			return t
		}
		if m, ok := v.(map[string]any); ok {
			for _, c := range list(m, "coding") {
				out = append(out, str(c, "code"))
			}
		}
	}
	return strings.Join(out, ", ")
}

// day shortens a FHIR date or dateTime to its date.
func day(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

func humanName(m map[string]any) string {
	names := list(m, "name")
	best := -1
	for i, n := range names {
		if best < 0 || str(n, "use") == "official" && str(names[best], "use") != "official" {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	n := names[best]
	var parts []string
	if g, ok := n["given"].([]any); ok {
		for _, x := range g {
			if s, ok := x.(string); ok {
				parts = append(parts, s)
			}
		}
	}
	if f := str(n, "family"); f != "" {
		parts = append(parts, f)
	}
	if len(parts) == 0 {
		return str(n, "text")
	}
	return strings.Join(parts, " ")
}

// value is an Observation's value as text, with its unit.
func value(m map[string]any) string {
	if q := obj(m, "valueQuantity"); q != nil {
		return strings.TrimSpace(str(q, "value") + " " + first(str(q, "unit"), str(q, "code")))
	}
	if c := concept(m["valueCodeableConcept"]); c != "" {
		return c
	}
	if s := str(m, "valueString"); s != "" {
		return s
	}
	var parts []string
	for _, c := range list(m, "component") {
		if q := obj(c, "valueQuantity"); q != nil {
			parts = append(parts, fmt.Sprintf("%s %s", str(q, "value"), first(str(q, "unit"), str(q, "code"))))
		}
	}
	return strings.Join(parts, " / ")
}

func dosage(m map[string]any) string {
	for _, d := range list(m, "dosageInstruction") {
		if t := str(d, "text"); t != "" {
			return t
		}
	}
	return ""
}
