// Package patch applies the two patch formats FHIR's PATCH interaction
// accepts to a decoded resource: JSON Patch (RFC 6902, with JSON Pointer,
// RFC 6901) and FHIRPath Patch (a Parameters resource). Both work on a deep
// copy, so a failing patch leaves the caller's resource as it was; the
// caller validates the result exactly as it validates an update.
package patch

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/fhirpath"
)

// jsonOp is one operation of a JSON Patch document.
type jsonOp struct {
	Op    string          `json:"op"`
	Path  *string         `json:"path"`
	From  *string         `json:"from"`
	Value json.RawMessage `json:"value"`
}

// JSON applies a JSON Patch document to res and returns the patched copy.
// A failed test operation is a Conflict (the resource is not in the state
// the client expected); a malformed patch or a pointer to nothing is
// Invalid.
func JSON(res fhirjson.Object, body []byte) (fhirjson.Object, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var ops []jsonOp
	if err := dec.Decode(&ops); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Message: "the body is not a JSON Patch document (an array of operations)", Err: err}
	}
	if dec.More() {
		return nil, errs.E(errs.Invalid, "data after the JSON Patch document")
	}
	var doc any = deepCopy(map[string]any(res))
	for i, op := range ops {
		var err error
		if doc, err = applyJSON(doc, op); err != nil {
			if e, ok := err.(*errs.Error); ok && e.Field == "" {
				e.Field = "[" + strconv.Itoa(i) + "]"
			}
			return nil, err
		}
	}
	out, ok := doc.(map[string]any)
	if !ok {
		return nil, errs.E(errs.Invalid, "the patched document is not a JSON object")
	}
	return out, nil
}

func applyJSON(doc any, op jsonOp) (any, error) {
	if op.Path == nil {
		return nil, errs.E(errs.Invalid, "operation %q has no path", op.Op)
	}
	path, err := pointer(*op.Path)
	if err != nil {
		return nil, err
	}
	value := func() (any, error) {
		if op.Value == nil {
			return nil, errs.E(errs.Invalid, "operation %q needs a value", op.Op)
		}
		dec := json.NewDecoder(bytes.NewReader(op.Value))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, errs.E(errs.Invalid, "the value is not JSON")
		}
		return v, nil
	}
	from := func() ([]string, error) {
		if op.From == nil {
			return nil, errs.E(errs.Invalid, "operation %q needs from", op.Op)
		}
		return pointer(*op.From)
	}
	switch op.Op {
	case "add":
		v, err := value()
		if err != nil {
			return nil, err
		}
		return add(doc, path, v)
	case "remove":
		doc, _, err := remove(doc, path)
		return doc, err
	case "replace":
		v, err := value()
		if err != nil {
			return nil, err
		}
		if _, err := get(doc, path); err != nil {
			return nil, err
		}
		if doc, _, err = remove(doc, path); err != nil {
			return nil, err
		}
		return add(doc, path, v)
	case "move":
		fp, err := from()
		if err != nil {
			return nil, err
		}
		if len(path) > len(fp) && reflect.DeepEqual(path[:len(fp)], fp) {
			return nil, errs.E(errs.Invalid, "cannot move a value into itself")
		}
		doc, v, err := remove(doc, fp)
		if err != nil {
			return nil, err
		}
		return add(doc, path, v)
	case "copy":
		fp, err := from()
		if err != nil {
			return nil, err
		}
		v, err := get(doc, fp)
		if err != nil {
			return nil, err
		}
		return add(doc, path, deepCopy(v))
	case "test":
		want, err := value()
		if err != nil {
			return nil, err
		}
		got, err := get(doc, path)
		if err != nil {
			return nil, err
		}
		if !fhirpath.EqualJSON(got, want) {
			return nil, errs.E(errs.Conflict, "test failed: the value at %q is not the expected one", *op.Path)
		}
		return doc, nil
	default:
		return nil, errs.E(errs.Invalid, "unknown operation %q", op.Op)
	}
}

// pointer splits a JSON Pointer into its unescaped reference tokens.
func pointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, errs.E(errs.Invalid, "not a JSON Pointer: %q", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(t, "~0", ""), "~1", ""), "~") {
			return nil, errs.E(errs.Invalid, "bad escape in JSON Pointer %q", p)
		}
		// ~1 first, then ~0, so that "~01" is "~1" and not "/" (RFC 6901, 4).
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// index parses an array index token: digits without leading zeros.
func index(tok string, n int, allowEnd bool) (int, error) {
	if allowEnd && tok == "-" {
		return n, nil
	}
	if tok == "" || (len(tok) > 1 && tok[0] == '0') || strings.TrimLeft(tok, "0123456789") != "" {
		return 0, errs.E(errs.Invalid, "not an array index: %q", tok)
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i > n || (!allowEnd && i == n) {
		return 0, errs.E(errs.Invalid, "array index %s is out of range", tok)
	}
	return i, nil
}

func get(doc any, path []string) (any, error) {
	cur := doc
	for _, tok := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, errs.E(errs.Invalid, "no member %q", tok)
			}
			cur = v
		case []any:
			i, err := index(tok, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, errs.E(errs.Invalid, "%q is below a value that has no members", tok)
		}
	}
	return cur, nil
}

// edit rebuilds the path down to the container of its last token and
// returns the new document: arrays change length, so each level is
// written back into its parent.
func edit(doc any, path []string, fn func(container any, tok string) (any, error)) (any, error) {
	if len(path) == 1 {
		return fn(doc, path[0])
	}
	switch c := doc.(type) {
	case map[string]any:
		child, ok := c[path[0]]
		if !ok {
			return nil, errs.E(errs.Invalid, "no member %q", path[0])
		}
		nc, err := edit(child, path[1:], fn)
		if err != nil {
			return nil, err
		}
		c[path[0]] = nc
		return c, nil
	case []any:
		i, err := index(path[0], len(c), false)
		if err != nil {
			return nil, err
		}
		nc, err := edit(c[i], path[1:], fn)
		if err != nil {
			return nil, err
		}
		c[i] = nc
		return c, nil
	default:
		return nil, errs.E(errs.Invalid, "%q is below a value that has no members", path[0])
	}
}

func add(doc any, path []string, v any) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	return edit(doc, path, func(container any, tok string) (any, error) {
		switch c := container.(type) {
		case map[string]any:
			c[tok] = v
			return c, nil
		case []any:
			i, err := index(tok, len(c), true)
			if err != nil {
				return nil, err
			}
			c = append(c, nil)
			copy(c[i+1:], c[i:])
			c[i] = v
			return c, nil
		default:
			return nil, errs.E(errs.Invalid, "cannot add %q to a value that has no members", tok)
		}
	})
}

func remove(doc any, path []string) (any, any, error) {
	if len(path) == 0 {
		return nil, nil, errs.E(errs.Invalid, "cannot remove the whole resource")
	}
	var removed any
	out, err := edit(doc, path, func(container any, tok string) (any, error) {
		switch c := container.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, errs.E(errs.Invalid, "no member %q to remove", tok)
			}
			removed = v
			delete(c, tok)
			return c, nil
		case []any:
			i, err := index(tok, len(c), false)
			if err != nil {
				return nil, err
			}
			removed = c[i]
			return append(c[:i:i], c[i+1:]...), nil
		default:
			return nil, errs.E(errs.Invalid, "cannot remove %q from a value that has no members", tok)
		}
	})
	return out, removed, err
}

func deepCopy(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, x := range c {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(c))
		for i, x := range c {
			s[i] = deepCopy(x)
		}
		return s
	default:
		return v
	}
}
