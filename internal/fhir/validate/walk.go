package validate

import (
	"fmt"
	"strconv"
)

// The walk over a resource: objects are checked member by member against
// their type's elements, so the cost follows the size of the JSON rather than
// the size of the definition (an Extension defines fifty value[x] types and
// uses one).

// push appends ".name" to the path and returns the length to restore.
func (v *validator) push(name string) int {
	n := len(v.path)
	v.path = append(v.path, '.')
	v.path = append(v.path, name...)
	return n
}

// pushIndex appends "[i]" to the path and returns the length to restore.
func (v *validator) pushIndex(i int) int {
	n := len(v.path)
	v.path = append(v.path, '[')
	v.path = strconv.AppendInt(v.path, int64(i), 10)
	v.path = append(v.path, ']')
	return n
}

func (v *validator) failAt(name, msg string) {
	n := v.push(name)
	v.fail(msg)
	v.path = v.path[:n]
}

// object checks the members of an object of type id (a datatype, a
// BackboneElement or a resource).
func (v *validator) object(id typeID, obj map[string]any) {
	t := &types[id]
	if len(obj) == 0 {
		v.fail("must not be empty")
		return
	}
	var seen, twice uint64 // presence bits of required and choice elements
	for name, val := range obj {
		if v.full {
			return
		}
		if t.kind == kindResource && name == "resourceType" {
			continue // checked by whoever chose the type
		}
		if len(name) > 1 && name[0] == '_' {
			e, ok := t.lookup(name[1:])
			if !ok || types[e.typ].kind != kindPrimitive || e.flags&fAttr != 0 {
				v.failAt(name, "unknown element")
				continue
			}
			value, hasValue := obj[name[1:]]
			if !hasValue {
				// An extension alone stands for the value, so it counts for
				// cardinality (data-absent-reason on a required element).
				seen, twice = mark(seen, twice, e)
			}
			n := v.push(name)
			v.primitiveExtensions(e, name[1:], val, value, hasValue)
			v.path = v.path[:n]
			continue
		}
		e, ok := t.lookup(name)
		if !ok {
			v.failAt(name, "unknown element")
			continue
		}
		seen, twice = mark(seen, twice, e)
		n := v.push(name)
		v.element(e, name, val, obj)
		v.path = v.path[:n]
	}
	if missing := t.reqMask &^ seen; missing != 0 || twice != 0 {
		for bit := 1; bit <= int(t.ngroups); bit++ {
			switch b := uint64(1) << (bit - 1); {
			case missing&b != 0:
				v.failAt(t.groupName(bit), "is required")
			case twice&b != 0:
				v.failAt(t.groupName(bit), "must have only one type, not several")
			}
		}
	}
	if t.kind == kindResource {
		v.containedRules(obj)
	}
	if id == tReference {
		// A reference that is not even a valid string has been reported.
		if s, ok := obj["reference"].(string); ok && s != "" && validString(tString, s) && !validReference(s) {
			v.failAt("reference", fmt.Sprintf("not a valid reference: %s", quoted(s)))
		}
	}
}

// mark records the presence of e, and in twice a second type of one choice
// element (valueString next to valueQuantity).
func mark(seen, twice uint64, e *elemDef) (uint64, uint64) {
	if e.bit == 0 {
		return seen, twice
	}
	b := uint64(1) << (e.bit - 1)
	return seen | b, twice | seen&b
}

// element checks the value of one member; obj is the object holding it, for
// the "_name" sibling of primitive arrays.
func (v *validator) element(e *elemDef, name string, val any, obj map[string]any) {
	if val == nil {
		v.fail("must not be null")
		return
	}
	arr, isArray := val.([]any)
	if e.flags&fMany == 0 {
		if isArray {
			v.fail("must be a single value, not an array")
			return
		}
		v.value(e.typ, val)
		return
	}
	if !isArray {
		v.fail("must be an array")
		return
	}
	if len(arr) == 0 {
		v.fail("must not be an empty array")
		return
	}
	var ext []any // the aligned "_name" array, looked up on the first null
	for i, item := range arr {
		if v.full {
			return
		}
		n := v.pushIndex(i)
		if item == nil {
			if ext == nil && types[e.typ].kind == kindPrimitive {
				ext, _ = obj["_"+name].([]any)
			}
			if i >= len(ext) || ext[i] == nil {
				v.fail("must not be null")
			}
		} else {
			v.value(e.typ, item)
		}
		v.path = v.path[:n]
	}
}

// value checks one non-null value of type id.
func (v *validator) value(id typeID, val any) {
	t := &types[id]
	switch t.kind {
	case kindPrimitive:
		v.primitive(id, val)
	case kindAnyResource:
		obj, ok := val.(map[string]any)
		if !ok {
			v.fail("must be an object")
			return
		}
		v.anyResource(obj)
	default:
		obj, ok := val.(map[string]any)
		if !ok {
			v.fail("must be an object")
			return
		}
		v.object(id, obj)
	}
}

// anyResource checks a resource in a place that takes any type (contained,
// Bundle.entry.resource, Parameters.parameter.resource) as the type it names.
func (v *validator) anyResource(obj map[string]any) {
	rt, present := obj["resourceType"]
	if !present {
		v.failAt("resourceType", "is required")
		return
	}
	name, ok := rt.(string)
	if !ok {
		v.failAt("resourceType", "must be a string")
		return
	}
	id, ok := resourceType(name)
	if !ok {
		v.failAt("resourceType", fmt.Sprintf("unknown resource type %s", quoted(name)))
		return
	}
	v.object(id, obj)
}

// primitiveExtensions checks "_name", the id and extensions of a primitive
// value: an object for a single value, or for an array an array of objects
// or nulls aligned with the values.
func (v *validator) primitiveExtensions(e *elemDef, name string, val, value any, hasValue bool) {
	if val == nil {
		v.fail("must not be null")
		return
	}
	if e.flags&fMany == 0 {
		obj, ok := val.(map[string]any)
		if !ok {
			v.fail("must be an object")
			return
		}
		v.object(tElement, obj)
		return
	}
	arr, ok := val.([]any)
	if !ok {
		v.fail("must be an array")
		return
	}
	if len(arr) == 0 {
		v.fail("must not be an empty array")
		return
	}
	values, _ := value.([]any)
	if hasValue && values != nil && len(values) != len(arr) {
		v.fail(fmt.Sprintf("must have as many items as %s (%d, not %d)", name, len(values), len(arr)))
		return
	}
	for i, item := range arr {
		if v.full {
			return
		}
		n := v.pushIndex(i)
		switch obj, ok := item.(map[string]any); {
		case item == nil:
			if !hasValue || values == nil {
				v.fail("must not be null")
			}
			// else: a null next to a null value is reported on the value
		case !ok:
			v.fail("must be an object or null")
		default:
			v.object(tElement, obj)
		}
		v.path = v.path[:n]
	}
}
