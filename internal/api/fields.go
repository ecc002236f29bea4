package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"github.com/emedpractice/emp/internal/ctrlchar"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
)

// fields are the members of a request body, each as a string. The original
// API took every value as a string but clients send numbers and booleans
// too (pc_catid: 5), so those are accepted and kept as their JSON text
// (bodyTypes records which they were, and typeErrors refuses a number where
// text belongs); an object or array where a value belongs is an error naming
// the field.
type fields map[string]string

// readFields decodes a JSON object body into fields, with the JSON type
// ("number", "boolean") of each member that was not a string or null.
//
// The body is parsed by fhirjson, as FHIR bodies are: data after the object,
// a member named twice and invalid UTF-8 are refused rather than resolved by
// guessing. A value holding a control character (ctrlchar) is refused
// naming its field.
func readFields(b []byte) (fields, map[string]string, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil, fieldErr("request", "required", "a JSON object body is required")
	}
	raw, err := fhirjson.Decode(b)
	if err != nil {
		return nil, nil, fieldErr("request", "json", "the body is not a JSON object: %s", err.Error())
	}
	out := make(fields, len(raw))
	types := map[string]string{}
	var bad errs.Multi
	for k, v := range raw {
		if r, found := ctrlchar.Find(k); found {
			bad = append(bad, fieldErr(ctrlchar.Escape(k), "control", "the member name %s", ctrlchar.Describe(r)))
			continue
		}
		switch x := v.(type) {
		case nil:
			out[k] = ""
		case string:
			if r, found := ctrlchar.Find(x); found {
				bad = append(bad, fieldErr(k, "control", "%s", ctrlchar.Describe(r)))
			}
			out[k] = x
		case json.Number:
			out[k], types[k] = x.String(), "number"
		case bool:
			types[k] = "boolean"
			if x {
				out[k] = "true"
			} else {
				out[k] = "false"
			}
		default:
			bad = append(bad, fieldErr(k, "type", "must be a string or a number"))
		}
	}
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i].Field < bad[j].Field })
		return nil, nil, bad
	}
	return out, types, nil
}

// has reports whether the body names the field.
func (f fields) has(name string) bool { _, ok := f[name]; return ok }

// writable lists the JSON names of T's string fields: the members a client
// may set. Others (integer ids, server-set values) are ignored on input.
// It is computed on each write; a record has a few dozen fields.
func writable(t reflect.Type) map[string]bool {
	m := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.String {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Tag.Get("api") == "readonly" {
			continue
		}
		m[name] = true
	}
	return m
}

// overlay sets the members of rec named by f. rec is a pointer to a record
// struct whose fields are strings.
func overlay[T any](rec *T, f fields) {
	w := writable(reflect.TypeFor[T]())
	v := reflect.ValueOf(rec).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if !w[name] {
			continue
		}
		if val, ok := f[name]; ok {
			v.Field(i).SetString(val)
		}
	}
}
