package patch

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/validate"
)

// FHIRPath applies a FHIRPath Patch (a Parameters resource of "operation"
// parameters: add, insert, delete, replace, move) to res of type rtype and
// returns the patched copy.
//
// The paths are the subset that FHIRPath Patch uses in practice, evaluated
// by a small evaluator of its own: the resource type, then element names,
// each optionally followed by an index [n], a filter .where(a.b = 'x' and
// c != 2) comparing a relative element path with a string, number or
// boolean literal, .first() or .last(). Anything else is refused as
// unsupported rather than guessed at.
func FHIRPath(rtype string, res fhirjson.Object, params fhirjson.Object) (fhirjson.Object, error) {
	if rt, _ := params["resourceType"].(string); rt != "Parameters" {
		return nil, errs.Field("resourceType", "a FHIRPath Patch is a Parameters resource")
	}
	doc := deepCopy(map[string]any(res)).(map[string]any)
	list, _ := params["parameter"].([]any)
	for i, p := range list {
		field := "Parameters.parameter[" + strconv.Itoa(i) + "]"
		pm, _ := p.(map[string]any)
		if name, _ := pm["name"].(string); name != "operation" {
			return nil, errs.Field(field, "a FHIRPath Patch holds only operation parameters")
		}
		op, err := parseOperation(pm)
		if err != nil {
			return nil, withField(err, field)
		}
		if err := op.apply(rtype, doc); err != nil {
			return nil, withField(err, field)
		}
	}
	return doc, nil
}

func withField(err error, field string) error {
	if e, ok := err.(*errs.Error); ok && e.Field == "" {
		e.Field = field
	}
	return err
}

type operation struct {
	typ, path, name           string
	value                     map[string]any // the "value" part as sent (value[x] or parts)
	index, source, dest       int
	hasIndex, hasSrc, hasDest bool
}

func parseOperation(p map[string]any) (*operation, error) {
	op := &operation{}
	parts, _ := p["part"].([]any)
	for _, x := range parts {
		part, _ := x.(map[string]any)
		name, _ := part["name"].(string)
		switch name {
		case "type":
			op.typ, _ = part["valueCode"].(string)
		case "path":
			op.path, _ = part["valueString"].(string)
		case "name":
			op.name, _ = part["valueString"].(string)
		case "value":
			op.value = part
		case "index", "source", "destination":
			n, ok := part["valueInteger"].(json.Number)
			v, err := strconv.Atoi(string(n))
			if !ok || err != nil || v < 0 {
				return nil, errs.E(errs.Invalid, "%s must be a non-negative valueInteger", name)
			}
			switch name {
			case "index":
				op.index, op.hasIndex = v, true
			case "source":
				op.source, op.hasSrc = v, true
			default:
				op.dest, op.hasDest = v, true
			}
		default:
			return nil, errs.E(errs.Invalid, "unknown operation part %q", name)
		}
	}
	if op.path == "" {
		return nil, errs.E(errs.Invalid, "the operation has no path")
	}
	need := func(ok bool, what string) error {
		if !ok {
			return errs.E(errs.Invalid, "a %s operation needs %s", op.typ, what)
		}
		return nil
	}
	var err error
	switch op.typ {
	case "add":
		if err = need(op.name != "", "a name"); err == nil {
			err = need(op.value != nil, "a value")
		}
	case "insert":
		if err = need(op.hasIndex, "an index"); err == nil {
			err = need(op.value != nil, "a value")
		}
	case "replace":
		err = need(op.value != nil, "a value")
	case "move":
		if err = need(op.hasSrc, "a source"); err == nil {
			err = need(op.hasDest, "a destination")
		}
	case "delete":
	default:
		return nil, errs.E(errs.Invalid, "unknown operation type %q", op.typ)
	}
	return op, err
}

// valueOf builds the JSON value of the "value" part: a value[x], or parts
// naming the elements of a complex value. elem is the element path the
// value goes to, which says which of the parts' elements repeat.
func valueOf(rtype string, part map[string]any, elem []string) (any, error) {
	for k, v := range part {
		if strings.HasPrefix(k, "value") && len(k) > 5 {
			return deepCopy(v), nil
		}
	}
	parts, _ := part["part"].([]any)
	if len(parts) == 0 {
		return nil, errs.E(errs.Invalid, "the value has neither a value[x] nor parts")
	}
	obj := map[string]any{}
	for _, x := range parts {
		pm, _ := x.(map[string]any)
		name, _ := pm["name"].(string)
		if name == "" {
			return nil, errs.E(errs.Invalid, "a part of the value has no name")
		}
		sub := append(append([]string(nil), elem...), name)
		v, err := valueOf(rtype, pm, sub)
		if err != nil {
			return nil, err
		}
		if many, _ := validate.Repeats(rtype, sub); many {
			arr, _ := obj[name].([]any)
			obj[name] = append(arr, v)
		} else {
			if _, dup := obj[name]; dup {
				return nil, errs.E(errs.Invalid, "the value's element %q does not repeat", name)
			}
			obj[name] = v
		}
	}
	return obj, nil
}

func (op *operation) apply(rtype string, doc map[string]any) error {
	p, err := parsePath(op.path, rtype)
	if err != nil {
		return err
	}
	switch op.typ {
	case "add":
		n, err := one(p.eval(doc), op.path)
		if err != nil {
			return err
		}
		m, ok := n.val.(map[string]any)
		if !ok {
			return errs.E(errs.Invalid, "%s is not an element that can hold %s", op.path, op.name)
		}
		elem := append(p.names(), op.name)
		many, known := validate.Repeats(rtype, elem)
		if !known {
			return errs.E(errs.Invalid, "%s has no element %s", op.path, op.name)
		}
		v, err := valueOf(rtype, op.value, elem)
		if err != nil {
			return err
		}
		if many {
			arr, _ := m[op.name].([]any)
			m[op.name] = append(arr, v)
			return nil
		}
		if _, exists := m[op.name]; exists {
			return errs.E(errs.Invalid, "%s.%s has a value already (use replace)", op.path, op.name)
		}
		m[op.name] = v
		return nil
	case "replace":
		n, err := one(p.eval(doc), op.path)
		if err != nil {
			return err
		}
		if n.parent == nil {
			return errs.E(errs.Invalid, "cannot replace the whole resource")
		}
		v, err := valueOf(rtype, op.value, p.names())
		if err != nil {
			return err
		}
		n.set(v)
		return nil
	case "delete":
		nodes := p.eval(doc)
		if len(nodes) == 0 {
			return nil // deleting what is not there is no error (FHIRPath Patch)
		}
		n, err := one(nodes, op.path)
		if err != nil {
			return err
		}
		if n.parent == nil {
			return errs.E(errs.Invalid, "cannot delete the whole resource")
		}
		n.remove()
		return nil
	case "insert", "move":
		parent, name, err := p.list(doc, op.path)
		if err != nil {
			return err
		}
		arr, _ := parent[name].([]any)
		if _, isArr := parent[name].([]any); parent[name] != nil && !isArr {
			return errs.E(errs.Invalid, "%s is not a list", op.path)
		}
		if op.typ == "insert" {
			if op.index > len(arr) {
				return errs.E(errs.Invalid, "index %d is beyond the %d items of %s", op.index, len(arr), op.path)
			}
			v, err := valueOf(rtype, op.value, p.names())
			if err != nil {
				return err
			}
			arr = append(arr, nil)
			copy(arr[op.index+1:], arr[op.index:])
			arr[op.index] = v
			parent[name] = arr
			return nil
		}
		if op.source >= len(arr) || op.dest >= len(arr) {
			return errs.E(errs.Invalid, "source or destination beyond the %d items of %s", len(arr), op.path)
		}
		v := arr[op.source]
		arr = append(arr[:op.source], arr[op.source+1:]...)
		arr = append(arr, nil)
		copy(arr[op.dest+1:], arr[op.dest:])
		arr[op.dest] = v
		parent[name] = arr
		return nil
	}
	return errs.E(errs.Invalid, "unknown operation type %q", op.typ)
}

func one(nodes []node, path string) (node, error) {
	switch len(nodes) {
	case 1:
		return nodes[0], nil
	case 0:
		return node{}, errs.E(errs.Invalid, "%s matches nothing", path)
	default:
		return node{}, errs.E(errs.Invalid, "%s matches %d elements, the operation needs one", path, len(nodes))
	}
}
