// Package fhirpath evaluates FHIRPath 2.0 (the normative version R4 uses)
// over resources as the server holds them: decoded JSON (map[string]any,
// []any, string, bool, json.Number with decimals exact). An expression is
// compiled once into a tree and evaluated many times; the invariants checked
// on every write are compiled when the process starts.
//
// FHIR types come from a Model (the validator's generated element tables), so
// that Observation.value finds valueQuantity and knows it is a Quantity, and
// is/as/ofType work. Without a model the engine infers what it can from the
// JSON (choice elements by their suffix, numbers by their form).
//
// What it does not do: the XML-only parts of FHIRPath (the data model of
// XHTML, attribute-vs-element distinctions) and static type checking of an
// expression against a root type; memberships in value sets (memberOf) are
// answered by a terminology function the caller supplies.
package fhirpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Item is one value of a collection: a FHIR element (with its FHIR type) or
// a System value (Boolean, String, Integer, Decimal, Date, DateTime, Time,
// Quantity).
type Item struct {
	// val is bool, string, int64, Decimal, Temporal, Quantity, a JSON object
	// (map[string]any), a JSON primitive of a FHIR element (string,
	// json.Number, bool, converted when used), or nil for a primitive element
	// that has only extensions.
	val any
	// ext is the "_name" sibling of a primitive element: its id and
	// extensions.
	ext map[string]any
	// typ is the FHIR type ("string", "HumanName", "Observation.component");
	// empty for a System value.
	typ string
}

// Value returns the item as a Go value: a JSON object, or a primitive as
// string, bool, int64, or the decimal's text.
func (it Item) Value() any {
	switch v := sysValue(it).(type) {
	case Decimal:
		return v.String()
	case Temporal:
		return v.String()
	case Quantity:
		return v.String()
	default:
		return v
	}
}

// Type is the FHIR type of the item ("" for a System value).
func (it Item) Type() string { return it.typ }

// Model is the FHIR type information the engine uses.
type Model interface {
	// Child returns the type of member name (a JSON name; a choice element
	// with its type suffix, "valueQuantity") of an object of type typ, and
	// whether name is one type of a choice element. found is false when typ
	// has no such member.
	Child(typ, name string) (child string, choice bool, found bool)
	// Base returns the type typ is derived from ("DomainResource" for
	// "Patient", "string" for "code", "BackboneElement" for
	// "Observation.component"), "" for none.
	Base(typ string) string
	// Known reports whether typ is a type of the model.
	Known(typ string) bool
}

// Options tune an evaluation.
type Options struct {
	Model Model
	// Strict makes a path naming an element its type does not define an
	// error (name.given1), as does naming a choice element by one of its
	// types (valueQuantity). Without it such paths are empty.
	Strict bool
	// Vars are the environment variables (%name) beyond the standard ones;
	// %resource, %rootResource and %context are set from the input.
	Vars map[string][]Item
	// Now is the evaluation's clock for now(), today() and timeOfDay().
	Now func() time.Time
	// MemberOf answers code.memberOf(valueSetURL); nil makes memberOf an
	// error.
	MemberOf func(it Item, valueSet string) (bool, error)
}

// Expression is a compiled FHIRPath expression, safe for concurrent use.
type Expression struct {
	src  string
	root node
}

// String is the expression's source.
func (e *Expression) String() string { return e.src }

// Compile parses an expression.
func Compile(src string) (*Expression, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("fhirpath: %w", err)
	}
	p := &parser{toks: toks}
	n, err := p.expr(1)
	if err != nil {
		return nil, fmt.Errorf("fhirpath: %w", err)
	}
	if p.peek().class != tEOF {
		return nil, fmt.Errorf("fhirpath: %w", p.errorf("unexpected %q", p.peek().text))
	}
	return &Expression{src: src, root: n}, nil
}

// MustCompile compiles an expression known to be valid (tables generated
// from the specification), panicking otherwise.
func MustCompile(src string) *Expression {
	e, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return e
}

// Resource makes the item of a decoded resource (its type from
// resourceType).
func Resource(res map[string]any) Item {
	t, _ := res["resourceType"].(string)
	return Item{val: res, typ: t}
}

// Element makes the item of an element of a resource with a known FHIR type
// (the context of an invariant on Observation.component).
func Element(v any, typ string) Item { return Item{val: v, typ: typ} }

// Evaluate runs the expression with focus as the input collection
// (resource: the resource the variables %resource and %rootResource name).
func (e *Expression) Evaluate(resource Item, focus []Item, opt *Options) ([]Item, error) {
	st := &evaluation{}
	return e.evaluate(st, resource, focus, opt)
}

// evaluation is the state of one evaluation, allocated at once: invariants
// are evaluated on every element of every write.
type evaluation struct {
	c     ctx
	f     frame
	focus [1]Item
}

func (e *Expression) evaluate(st *evaluation, resource Item, focus []Item, opt *Options) ([]Item, error) {
	if opt == nil {
		opt = &Options{}
	}
	st.c = ctx{opt: opt, resource: resource}
	if len(focus) > 0 {
		st.c.context = focus
	}
	if len(focus) == 1 {
		st.f.this = focus[0]
	}
	return e.root.eval(&st.c, &st.f, focus)
}

// EvalBool evaluates an invariant: true when the result is true, and also
// when it is empty (an invariant that cannot be evaluated does not fail a
// resource); an error when the result is not a single Boolean.
func (e *Expression) EvalBool(resource Item, focus Item, opt *Options) (bool, error) {
	st := &evaluation{focus: [1]Item{focus}}
	out, err := e.evaluate(st, resource, st.focus[:], opt)
	if err != nil {
		return false, err
	}
	switch len(out) {
	case 0:
		return true, nil
	case 1:
		if b, ok := sysValue(out[0]).(bool); ok {
			return b, nil
		}
	}
	return false, errors.New("fhirpath: an invariant must give one Boolean")
}

type ctx struct {
	opt      *Options
	resource Item
	context  []Item
	steps    int
}

// maxSteps bounds the work of one evaluation (repeat() over a deep tree, a
// large aggregate) so that a write cannot make the server spin.
const maxSteps = 1 << 22

// frame holds $this, $index and $total of the function being evaluated.
type frame struct {
	this  Item
	index int
	total []Item
}

var errSingleton = errors.New("expected a single value")

// sysValue converts a FHIR primitive to its System value; other items are
// returned as they are.
func sysValue(it Item) any {
	switch v := it.val.(type) {
	case json.Number:
		s := string(v)
		if it.typ == "decimal" || strings.ContainsAny(s, ".eE") {
			if d, ok := parseDecimal(s); ok {
				return d
			}
			return s
		}
		i, err := v.Int64()
		if err != nil {
			return s
		}
		return i
	case float64:
		d, _ := decFromFloat(v)
		return d
	case int:
		return int64(v)
	case string:
		switch it.typ {
		case "date":
			if t, ok := parseTemporal(v, kDate); ok {
				return t
			}
		case "dateTime", "instant":
			if t, ok := parseTemporal(v, kDateTime); ok {
				return t
			}
		case "time":
			if t, ok := parseTemporal(v, kTime); ok {
				return t
			}
		}
		return v
	case map[string]any:
		if it.typ == "Quantity" || isQuantityType(it.typ) {
			if q, ok := fhirQuantity(v); ok {
				return q
			}
		}
		return v
	}
	return it.val
}

func isQuantityType(t string) bool {
	switch t {
	case "Quantity", "SimpleQuantity", "Age", "Distance", "Duration", "Count", "MoneyQuantity":
		return true
	}
	return false
}

// fhirQuantity reads a FHIR Quantity as a System Quantity: UCUM code if the
// system is UCUM, else the unit text.
func fhirQuantity(m map[string]any) (Quantity, bool) {
	n, ok := m["value"].(json.Number)
	if !ok {
		return Quantity{}, false
	}
	d, ok := parseDecimal(string(n))
	if !ok {
		return Quantity{}, false
	}
	unit, _ := m["code"].(string)
	if unit == "" {
		unit, _ = m["unit"].(string)
	}
	if unit == "" {
		unit = "1"
	}
	return Quantity{value: d, unit: unit}, true
}

// systemType names the System type of a System value.
func systemType(v any) string {
	switch v := v.(type) {
	case bool:
		return "Boolean"
	case string:
		return "String"
	case int64:
		return "Integer"
	case Decimal:
		return "Decimal"
	case Temporal:
		return v.typeName()
	case Quantity:
		return "Quantity"
	}
	return ""
}

// SystemType names the System type of a System value ("Quantity", "Date"),
// "" for a FHIR element.
func (it Item) SystemType() string {
	if it.typ != "" {
		return ""
	}
	return systemType(it.val)
}
