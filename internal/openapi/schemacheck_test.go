package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// checker validates JSON values against the document's schemas. It knows
// exactly the keywords the generator emits and refuses any other, so a
// schema it passes is one it understood. Strict mode also fails an object
// member the schema does not declare: a field the server sends but the
// document does not describe.
type checker struct {
	doc    map[string]any
	strict bool
}

// knownKeywords are the schema keywords the checker understands; the
// annotations among them (description, example, …) do not constrain.
var knownKeywords = map[string]bool{
	"$ref": true, "type": true, "format": true, "description": true, "properties": true,
	"required": true, "items": true, "additionalProperties": true, "anyOf": true, "enum": true,
	"minimum": true, "maximum": true, "default": true, "readOnly": true, "maxItems": true, "example": true,
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// resolve follows a local reference, "#/a/b".
func (c *checker) resolve(ref string) (map[string]any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference: %s", ref)
	}
	var cur any = c.doc
	for _, p := range strings.Split(rest, "/") {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not inside an object", ref, p)
		}
		if cur, ok = m[p]; !ok {
			return nil, fmt.Errorf("%s: no %q", ref, p)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not an object", ref)
	}
	return m, nil
}

// check returns every way v fails schema, each prefixed with where.
func (c *checker) check(schema map[string]any, v any, where string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, where+": "+fmt.Sprintf(format, args...)) }
	for k := range schema {
		if !knownKeywords[k] {
			fail("schema keyword %q is not understood by the checker", k)
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		target, err := c.resolve(ref)
		if err != nil {
			fail("%v", err)
			return errs
		}
		errs = append(errs, c.check(target, v, where)...)
	}
	if t, ok := schema["type"]; ok && !typeMatches(t, v) {
		fail("%s is not of type %v", jsonKind(v), t)
		return errs
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			fail("%v is not one of %v", v, enum)
		}
	}
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		if m, ok := schema["minimum"].(json.Number); ok {
			if mf, _ := m.Float64(); f < mf {
				fail("%v is below the minimum %v", n, m)
			}
		}
		if m, ok := schema["maximum"].(json.Number); ok {
			if mf, _ := m.Float64(); f > mf {
				fail("%v is above the maximum %v", n, m)
			}
		}
	}
	if alts, ok := schema["anyOf"].([]any); ok {
		var all []string
		matched := false
		for i, s := range alts {
			sub := c.check(s.(map[string]any), v, fmt.Sprintf("%s(anyOf %d)", where, i))
			if len(sub) == 0 {
				matched = true
				break
			}
			all = append(all, sub...)
		}
		if !matched {
			fail("matches none of anyOf: %s", strings.Join(all, "; "))
		}
	}
	switch x := v.(type) {
	case []any:
		if m, ok := schema["maxItems"].(json.Number); ok {
			if mi, _ := m.Int64(); int64(len(x)) > mi {
				fail("%d items, at most %d allowed", len(x), mi)
			}
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range x {
				errs = append(errs, c.check(items, e, fmt.Sprintf("%s[%d]", where, i))...)
			}
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					fail("required member %q is missing", r)
				}
			}
		}
		extra, hasExtra := schema["additionalProperties"].(map[string]any)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k].(map[string]any); ok {
				errs = append(errs, c.check(p, x[k], where+"."+k)...)
			} else if hasExtra {
				errs = append(errs, c.check(extra, x[k], where+"."+k)...)
			} else if c.strict && props != nil {
				fail("member %q is not in the schema", k)
			}
		}
	}
	return errs
}

func typeMatches(t any, v any) bool {
	switch t := t.(type) {
	case string:
		return kindIs(t, v)
	case []any:
		for _, n := range t {
			if kindIs(n.(string), v) {
				return true
			}
		}
	}
	return false
}

func kindIs(name string, v any) bool {
	switch name {
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	}
	return jsonKind(v) == name
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
