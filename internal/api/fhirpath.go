package api

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
)

// Small accessors over decoded FHIR JSON (maps, slices, strings and
// json.Number, as fhirjson.Decode produces). The mappings read and write
// resources through these rather than through generated structs, so that
// elements the API does not know survive an update untouched.

type obj = fhirjson.Object

// str returns the string at key, or "".
func str(o obj, key string) string {
	s, _ := o[key].(string)
	return s
}

// child returns the object at key, or nil.
func child(o obj, key string) obj {
	c, _ := o[key].(map[string]any)
	return c
}

// ensure returns the object at key, creating it when absent.
func ensure(o obj, key string) obj {
	if c := child(o, key); c != nil {
		return c
	}
	c := obj{}
	o[key] = c
	return c
}

// list returns the array at key as objects (non-objects skipped).
func list(o obj, key string) []obj {
	a, _ := o[key].([]any)
	out := make([]obj, 0, len(a))
	for _, e := range a {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// first returns the first object of the array at key, or nil.
func first(o obj, key string) obj {
	a, _ := o[key].([]any)
	for _, e := range a {
		if m, ok := e.(map[string]any); ok {
			return m
		}
	}
	return nil
}

// ensureFirst returns the first object of the array at key, creating the
// array and its element when absent.
func ensureFirst(o obj, key string) obj {
	if f := first(o, key); f != nil {
		return f
	}
	f := obj{}
	o[key] = []any{f}
	return f
}

// strings returns the strings of the array at key.
func strs(o obj, key string) []string {
	a, _ := o[key].([]any)
	out := make([]string, 0, len(a))
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// set writes a string element, removing it when v is empty.
func set(o obj, key, v string) {
	if v == "" {
		delete(o, key)
		return
	}
	o[key] = v
}

// setStrs writes an array of the non-empty strings, removing it when none.
func setStrs(o obj, key string, vs ...string) {
	a := make([]any, 0, len(vs))
	for _, v := range vs {
		if v != "" {
			a = append(a, v)
		}
	}
	if len(a) == 0 {
		delete(o, key)
		return
	}
	o[key] = a
}

// refID returns the id of a reference element "Type/id" when its type is
// typ, or "".
func refID(o obj, key, typ string) string {
	r := str(child(o, key), "reference")
	if t, id, ok := strings.Cut(r, "/"); ok && t == typ {
		return id
	}
	return ""
}

// ref builds a reference element.
func ref(typ, id string) obj { return obj{"reference": typ + "/" + id} }

// setRef writes a reference to typ/id at key, or removes it when id is "".
func setRef(o obj, key, typ, id string) {
	if id == "" {
		delete(o, key)
		return
	}
	o[key] = ref(typ, id)
}

// coding is a system and code with its display.
type coding struct{ system, code, display string }

// codeOf returns the code of the first coding in the CodeableConcept at key
// whose system is system (any system when system is "").
func codeOf(o obj, key, system string) string {
	for _, c := range list(child(o, key), "coding") {
		if system == "" || str(c, "system") == system {
			return str(c, "code")
		}
	}
	return ""
}

// textOf returns the text of the CodeableConcept at key, or the display of
// its first coding.
func textOf(cc obj) string {
	if t := str(cc, "text"); t != "" {
		return t
	}
	for _, c := range list(cc, "coding") {
		if d := str(c, "display"); d != "" {
			return d
		}
	}
	return ""
}

// concept builds a CodeableConcept from one coding.
func concept(c coding) obj {
	cd := obj{"system": c.system, "code": c.code}
	if c.display != "" {
		cd["display"] = c.display
	}
	out := obj{"coding": []any{cd}}
	if c.display != "" {
		out["text"] = c.display
	}
	return out
}

// number returns a decimal element as its JSON text.
func number(o obj, key string) string {
	switch n := o[key].(type) {
	case json.Number:
		return string(n)
	case float64:
		return json.Number(strings.TrimSuffix(strings.TrimRight(jsonFloat(n), "0"), ".")).String()
	}
	return ""
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	s := string(b)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// telecom returns the value of the first contact point of the system and
// use (any use when use is "").
func telecom(o obj, system, use string) string {
	for _, t := range list(o, "telecom") {
		if str(t, "system") == system && (use == "" || str(t, "use") == use) {
			return str(t, "value")
		}
	}
	return ""
}

// setTelecom replaces the contact point of the system and use with value
// (removing it when value is ""), leaving the others.
func setTelecom(o obj, system, use, value string) {
	a, _ := o["telecom"].([]any)
	out := make([]any, 0, len(a)+1)
	done := false
	for _, e := range a {
		t, ok := e.(map[string]any)
		if ok && str(t, "system") == system && (use == "" || str(t, "use") == use) {
			if done || value == "" {
				continue
			}
			t["value"] = value
			done = true
		}
		out = append(out, e)
	}
	if !done && value != "" {
		t := obj{"system": system, "value": value}
		if use != "" {
			t["use"] = use
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		delete(o, "telecom")
		return
	}
	o["telecom"] = out
}

// identifier returns the value of the first identifier of the system.
func identifier(o obj, system string) string {
	for _, id := range list(o, "identifier") {
		if str(id, "system") == system {
			return str(id, "value")
		}
	}
	return ""
}

// setIdentifier replaces the identifier of the system with value (removing
// it when value is "").
func setIdentifier(o obj, system, value string, extra obj) {
	a, _ := o["identifier"].([]any)
	out := make([]any, 0, len(a)+1)
	done := false
	for _, e := range a {
		id, ok := e.(map[string]any)
		if ok && str(id, "system") == system {
			if done || value == "" {
				continue
			}
			id["value"] = value
			done = true
		}
		out = append(out, e)
	}
	if !done && value != "" {
		id := obj{"system": system, "value": value}
		for k, v := range extra {
			id[k] = v
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		delete(o, "identifier")
		return
	}
	o["identifier"] = out
}

// datePart returns the Y-m-d part of a FHIR date or dateTime.
func datePart(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

// jsonInt is an integer as a FHIR JSON number.
func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// jsonNumber is a decimal the client sent, as a FHIR JSON number.
func jsonNumber(s string) json.Number { return json.Number(s) }
