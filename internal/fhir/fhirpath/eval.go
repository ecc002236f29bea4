package fhirpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// node is a compiled expression: it maps the input collection to the output
// collection, in a frame that holds $this, $index and $total.
type node interface {
	eval(c *ctx, f *frame, in []Item) ([]Item, error)
}

type litNode struct{ items []Item }

func (n *litNode) eval(*ctx, *frame, []Item) ([]Item, error) { return n.items, nil }

type thisNode struct{}

func (thisNode) eval(_ *ctx, f *frame, _ []Item) ([]Item, error) {
	if f.this.val == nil && f.this.typ == "" && f.this.ext == nil {
		return nil, nil
	}
	return []Item{f.this}, nil
}

type indexVarNode struct{}

func (indexVarNode) eval(_ *ctx, f *frame, _ []Item) ([]Item, error) {
	return []Item{{val: int64(f.index)}}, nil
}

type totalNode struct{}

func (totalNode) eval(_ *ctx, f *frame, _ []Item) ([]Item, error) { return f.total, nil }

// constNode is an environment variable: %resource, %ucum, %`vs-name`…
type constNode struct{ name string }

func (n *constNode) eval(c *ctx, _ *frame, _ []Item) ([]Item, error) {
	if v, ok := c.opt.Vars[n.name]; ok {
		return v, nil
	}
	switch n.name {
	case "resource", "rootResource":
		return []Item{c.resource}, nil
	case "context":
		return c.context, nil
	case "ucum":
		return str("http://unitsofmeasure.org"), nil
	case "sct":
		return str("http://snomed.info/sct"), nil
	case "loinc":
		return str("http://loinc.org"), nil
	}
	if rest, ok := strings.CutPrefix(n.name, "vs-"); ok {
		return str("http://hl7.org/fhir/ValueSet/" + rest), nil
	}
	if rest, ok := strings.CutPrefix(n.name, "ext-"); ok {
		return str("http://hl7.org/fhir/StructureDefinition/" + rest), nil
	}
	return nil, fmt.Errorf("unknown variable %%%s", n.name)
}

func str(s string) []Item { return []Item{{val: s}} }

// memberNode navigates to the members called name of each item of from's
// result (or of the input when from is nil, where a type name selects the
// input itself: Patient.name).
type memberNode struct {
	from node
	name string
}

func (n *memberNode) eval(c *ctx, f *frame, in []Item) ([]Item, error) {
	src := in
	if n.from != nil {
		var err error
		if src, err = n.from.eval(c, f, in); err != nil {
			return nil, err
		}
	}
	var out []Item
	for _, it := range src {
		if n.from == nil && isTypeName(n.name) && c.derivesFrom(it.typ, n.name) {
			out = append(out, it)
			continue
		}
		var err error
		if out, err = c.children(out, it, n.name, n.from == nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isTypeName(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' }

// derivesFrom reports whether FHIR type typ is name or derived from it.
func (c *ctx) derivesFrom(typ, name string) bool {
	for i := 0; typ != "" && i < 10; i++ {
		if typ == name {
			return true
		}
		typ = c.base(typ)
	}
	return false
}

func (c *ctx) base(typ string) string {
	if c.opt.Model != nil {
		return c.opt.Model.Base(typ)
	}
	return ""
}

// children appends the members called name of it to out.
func (c *ctx) children(out []Item, it Item, name string, first bool) ([]Item, error) {
	obj, ok := it.val.(map[string]any)
	if !ok {
		return out, nil
	}
	m := c.opt.Model
	if v, has := obj[name]; has {
		var typ string
		if m != nil {
			t, choice, found := m.Child(it.typ, name)
			if choice && c.opt.Strict {
				return nil, fmt.Errorf("%s: a choice element is named without its type suffix", name)
			}
			if found {
				typ = t
			}
		}
		return appendValues(out, v, obj["_"+name], typ), nil
	}
	if m != nil && it.typ != "" {
		t, choice, found := m.Child(it.typ, name)
		switch {
		case found && !choice:
			if ext, ok := obj["_"+name]; ok {
				return appendValues(out, nil, ext, t), nil
			}
			return out, nil
		case !found && c.opt.Strict && m.Known(it.typ) && !(first && isTypeName(name)):
			return nil, fmt.Errorf("%s has no element %s", it.typ, name)
		case !found && c.opt.Strict && first && isTypeName(name):
			return nil, fmt.Errorf("%s is not the type of the input (%s)", name, it.typ)
		case !found:
			if _, ok := obj["_"+name]; !ok {
				return out, nil
			}
		}
	}
	// A choice element: valueQuantity for value.
	for k, v := range obj {
		if len(k) <= len(name) || !strings.HasPrefix(k, name) || k[len(name)] < 'A' || k[len(name)] > 'Z' {
			continue
		}
		var typ string
		if m != nil {
			if t, _, found := m.Child(it.typ, k); found {
				typ = t
			}
		}
		if typ == "" {
			typ = choiceSuffixType(k[len(name):])
		}
		out = appendValues(out, v, obj["_"+k], typ)
	}
	if ext, ok := obj["_"+name]; ok {
		out = appendValues(out, nil, ext, "")
	}
	return out, nil
}

// choiceSuffixType reads a FHIR type from a choice element's suffix:
// "Quantity", "string" for "String".
func choiceSuffixType(s string) string {
	lower := strings.ToLower(s[:1]) + s[1:]
	if primitiveTypes[lower] {
		return lower
	}
	return s
}

var primitiveTypes = map[string]bool{
	"base64Binary": true, "boolean": true, "canonical": true, "code": true, "date": true, "dateTime": true,
	"decimal": true, "id": true, "instant": true, "integer": true, "markdown": true, "oid": true,
	"positiveInt": true, "string": true, "time": true, "unsignedInt": true, "uri": true, "url": true,
	"uuid": true, "xhtml": true,
}

// appendValues appends the items of one JSON member (a value or an array)
// with their "_name" extensions.
func appendValues(out []Item, v, ext any, typ string) []Item {
	mk := func(v any, e any) Item {
		it := Item{val: v, typ: typ}
		if em, ok := e.(map[string]any); ok {
			it.ext = em
		}
		if obj, ok := v.(map[string]any); ok && (typ == "Resource" || typ == "DomainResource" || typ == "") {
			if rt, ok := obj["resourceType"].(string); ok {
				it.typ = rt
			}
		}
		return it
	}
	switch vv := v.(type) {
	case []any:
		exts, _ := ext.([]any)
		for i, x := range vv {
			var e any
			if i < len(exts) {
				e = exts[i]
			}
			if x == nil && e == nil {
				continue
			}
			out = append(out, mk(x, e))
		}
	case nil:
		if exts, ok := ext.([]any); ok {
			for _, e := range exts {
				if e != nil {
					out = append(out, mk(nil, e))
				}
			}
		} else if ext != nil {
			out = append(out, mk(nil, ext))
		}
	default:
		out = append(out, mk(v, ext))
	}
	return out
}

type indexNode struct{ x, idx node }

func (n *indexNode) eval(c *ctx, f *frame, in []Item) ([]Item, error) {
	xs, err := n.x.eval(c, f, in)
	if err != nil {
		return nil, err
	}
	is, err := n.idx.eval(c, f, in)
	if err != nil {
		return nil, err
	}
	i, ok, err := singletonInt(is)
	if err != nil || !ok {
		return nil, err
	}
	if i < 0 || i >= int64(len(xs)) {
		return nil, nil
	}
	return xs[i : i+1], nil
}

type unaryNode struct {
	neg bool
	x   node
}

func (n *unaryNode) eval(c *ctx, f *frame, in []Item) ([]Item, error) {
	xs, err := n.x.eval(c, f, in)
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	if len(xs) > 1 {
		return nil, errSingleton
	}
	if !n.neg {
		switch sysValue(xs[0]).(type) {
		case int64, Decimal, Quantity:
			return xs, nil
		}
		return nil, errors.New("unary + needs a number")
	}
	v, err := negate(xs[0])
	if err != nil {
		return nil, err
	}
	return []Item{v}, nil
}

func negate(it Item) (Item, error) {
	switch v := sysValue(it).(type) {
	case int64:
		return Item{val: -v}, nil
	case Decimal:
		return Item{val: v.neg()}, nil
	case Quantity:
		return Item{val: Quantity{value: v.value.neg(), unit: v.unit}}, nil
	}
	return Item{}, errors.New("unary - needs a number")
}

type typeSpec struct{ ns, name string }

type typeOpNode struct {
	op string
	x  node
	ts typeSpec
}

func (n *typeOpNode) eval(c *ctx, f *frame, in []Item) ([]Item, error) {
	xs, err := n.x.eval(c, f, in)
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	if len(xs) > 1 {
		return nil, fmt.Errorf("%s: %w", n.op, errSingleton)
	}
	ok := c.isType(xs[0], n.ts)
	if n.op == "is" {
		return []Item{{val: ok}}, nil
	}
	if ok {
		return xs, nil
	}
	return nil, nil
}

// isType reports whether it is of the type ts names: a FHIR type (by
// derivation), or a System type for System values.
func (c *ctx) isType(it Item, ts typeSpec) bool {
	if it.typ != "" {
		if ts.ns == "System" {
			return false
		}
		return c.derivesFrom(it.typ, ts.name) || (it.typ == ts.name)
	}
	if ts.ns == "FHIR" {
		return false
	}
	return systemType(it.val) == ts.name
}

type binaryNode struct {
	op   string
	l, r node
}

func newBinary(op string, l, r node) (node, error) {
	return &binaryNode{op: op, l: l, r: r}, nil
}

func (n *binaryNode) eval(c *ctx, f *frame, in []Item) ([]Item, error) {
	c.steps++
	if c.steps > maxSteps {
		return nil, errors.New("expression too costly")
	}
	switch n.op {
	case "and", "or", "xor", "implies":
		return n.logic(c, f, in)
	}
	ls, err := n.l.eval(c, f, in)
	if err != nil {
		return nil, err
	}
	rs, err := n.r.eval(c, f, in)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "|":
		return union(ls, rs), nil
	case "=", "!=":
		eq, known, err := equalColl(ls, rs)
		if err != nil || !known {
			return nil, err
		}
		return boolItem(eq == (n.op == "=")), nil
	case "~", "!~":
		return boolItem(equivColl(ls, rs) == (n.op == "~")), nil
	case "in", "contains":
		elem, coll := ls, rs
		if n.op == "contains" {
			elem, coll = rs, ls
		}
		if len(elem) == 0 {
			return nil, nil
		}
		if len(elem) > 1 {
			return nil, fmt.Errorf("%s: %w", n.op, errSingleton)
		}
		for _, x := range coll {
			if eq, known := equalItem(elem[0], x); known && eq {
				return boolItem(true), nil
			}
		}
		return boolItem(false), nil
	case "&":
		a, err := singletonString(ls, true)
		if err != nil {
			return nil, err
		}
		b, err := singletonString(rs, true)
		if err != nil {
			return nil, err
		}
		return str(a + b), nil
	}
	if len(ls) == 0 || len(rs) == 0 {
		return nil, nil
	}
	if len(ls) > 1 || len(rs) > 1 {
		return nil, fmt.Errorf("%s: %w", n.op, errSingleton)
	}
	switch n.op {
	case "<", ">", "<=", ">=":
		cmp, known, err := compareItems(ls[0], rs[0])
		if err != nil || !known {
			return nil, err
		}
		var b bool
		switch n.op {
		case "<":
			b = cmp < 0
		case ">":
			b = cmp > 0
		case "<=":
			b = cmp <= 0
		default:
			b = cmp >= 0
		}
		return boolItem(b), nil
	}
	v, ok, err := arith(n.op, sysValue(ls[0]), sysValue(rs[0]))
	if err != nil || !ok {
		return nil, err
	}
	return []Item{{val: v}}, nil
}

func boolItem(b bool) []Item {
	if b {
		return trueItems
	}
	return falseItems
}

// trueItems and falseItems are the two Boolean results, shared: invariants
// give one per operator, and nothing writes into a result's items (results
// are only appended to, which copies a full slice).
var trueItems, falseItems = []Item{{val: true}}, []Item{{val: false}}

// logic evaluates the three-valued Boolean operators; the right side is
// evaluated only when the left does not decide.
func (n *binaryNode) logic(c *ctx, f *frame, in []Item) ([]Item, error) {
	ls, err := n.l.eval(c, f, in)
	if err != nil {
		return nil, err
	}
	l, err := toBool(ls)
	if err != nil {
		return nil, err
	}
	switch {
	case n.op == "and" && l == bFalse:
		return boolItem(false), nil
	case n.op == "or" && l == bTrue:
		return boolItem(true), nil
	case n.op == "implies" && l == bFalse:
		return boolItem(true), nil
	}
	rs, err := n.r.eval(c, f, in)
	if err != nil {
		return nil, err
	}
	r, err := toBool(rs)
	if err != nil {
		return nil, err
	}
	var out tri
	switch n.op {
	case "and":
		switch {
		case r == bFalse:
			out = bFalse
		case l == bTrue && r == bTrue:
			out = bTrue
		}
	case "or":
		switch {
		case r == bTrue:
			out = bTrue
		case l == bFalse && r == bFalse:
			out = bFalse
		}
	case "xor":
		if l != bEmpty && r != bEmpty {
			out = triOf(l != r)
		}
	case "implies":
		switch {
		case r == bTrue:
			out = bTrue
		case l == bTrue:
			out = r
		}
	}
	if out == bEmpty {
		return nil, nil
	}
	return boolItem(out == bTrue), nil
}

type tri uint8

const (
	bEmpty tri = iota
	bTrue
	bFalse
)

func triOf(b bool) tri {
	if b {
		return bTrue
	}
	return bFalse
}

// toBool reads a collection as a Boolean: empty is unknown, a single Boolean
// is itself, any other single item is true (FHIRPath's singleton evaluation).
func toBool(xs []Item) (tri, error) {
	switch len(xs) {
	case 0:
		return bEmpty, nil
	case 1:
		switch v := sysValue(xs[0]).(type) {
		case bool:
			return triOf(v), nil
		case string, int64, Decimal:
			// A primitive counts as the Boolean it converts to, else as
			// unknown.
			if b, ok := booleanOf(v); ok {
				return triOf(b), nil
			}
			return bEmpty, nil
		}
		return bTrue, nil
	}
	return bEmpty, fmt.Errorf("a Boolean operand: %w", errSingleton)
}

func union(a, b []Item) []Item {
	out := make([]Item, 0, len(a)+len(b))
	add := func(x Item) {
		for _, y := range out {
			if eq, known := equalItem(x, y); known && eq {
				return
			}
		}
		out = append(out, x)
	}
	for _, x := range a {
		add(x)
	}
	for _, x := range b {
		add(x)
	}
	return out
}

// equalColl is = over collections: empty when either is empty, false when
// the sizes differ, else item by item in order.
func equalColl(a, b []Item) (eq, known bool, err error) {
	if len(a) == 0 || len(b) == 0 {
		return false, false, nil
	}
	if len(a) != len(b) {
		return false, true, nil
	}
	allKnown := true
	for i := range a {
		e, k := equalItem(a[i], b[i])
		if k && !e {
			return false, true, nil
		}
		allKnown = allKnown && k
	}
	return true, allKnown, nil
}

// equalItem compares two items; known is false when the answer is unknown
// (dates of different precision).
func equalItem(a, b Item) (eq, known bool) {
	av, bv := sysValue(a), sysValue(b)
	switch x := av.(type) {
	case string:
		switch y := bv.(type) {
		case string:
			return x == y, true
		case Temporal:
			if t, ok := parseTemporal(x, y.form); ok {
				c, known := compareTemporal(t, y)
				return c == 0, known
			}
		}
		return false, true
	case bool:
		y, ok := bv.(bool)
		return ok && x == y, true
	case int64, Decimal:
		if q, ok := bv.(Quantity); ok {
			return equalItem(Item{val: Quantity{value: mustDec(av), unit: "1"}}, Item{val: q})
		}
		da, ok1 := toDecimal(Item{val: av})
		db, ok2 := toDecimal(Item{val: bv})
		if !ok1 || !ok2 || !isNumber(bv) {
			return false, true
		}
		return da.cmp(db) == 0, true
	case Temporal:
		switch y := bv.(type) {
		case Temporal:
			// A time is never a date; a date is not a moment in a zone.
			if (x.form == kTime) != (y.form == kTime) ||
				((x.prec < pHour) != (y.prec < pHour) && (x.tz || y.tz)) {
				return false, true
			}
			c, known := compareTemporal(x, y)
			return c == 0, known
		case string:
			return equalItem(b, a)
		}
		return false, true
	case Quantity:
		y, ok := bv.(Quantity)
		if !ok {
			if isNumber(bv) {
				y = Quantity{value: mustDec(bv), unit: "1"}
			} else {
				return false, true
			}
		}
		if isCalendar(x.unit) != isCalendar(y.unit) && !fixedCalendar(x.unit) && !fixedCalendar(y.unit) {
			return false, true
		}
		c, ok := compareQuantity(x, y)
		if !ok {
			return false, true
		}
		return c == 0, true
	case map[string]any:
		y, ok := bv.(map[string]any)
		return ok && EqualJSON(x, y), true
	case nil:
		return false, true
	}
	return false, true
}

// isCalendar: calendar durations year and month are not UCUM a and mo.
func isCalendar(u string) bool { return u == "year" || u == "years" || u == "month" || u == "months" }
func fixedCalendar(u string) bool {
	_, ok := calendarUnits[u]
	return ok && !isCalendar(u)
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, Decimal:
		return true
	}
	return false
}

func mustDec(v any) Decimal { d, _ := toDecimal(Item{val: v}); return d }

// EqualJSON is the equality of two decoded JSON values: objects regardless
// of member order, numbers by their exact decimal value (1.0 = 1.00).
// FHIRPath's = and JSON Patch's test both use it.
func EqualJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !EqualJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !EqualJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		dx, ok1 := parseDecimal(string(x))
		dy, ok2 := parseDecimal(string(y))
		return ok1 && ok2 && dx.cmp(dy) == 0
	}
	return a == b
}

// equivColl is ~ over collections: order does not matter, empty ~ empty.
func equivColl(a, b []Item) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && equivItem(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

func equivItem(a, b Item) bool {
	av, bv := sysValue(a), sysValue(b)
	switch x := av.(type) {
	case string:
		y, ok := bv.(string)
		return ok && normSpace(x) == normSpace(y)
	case int64, Decimal:
		if !isNumber(bv) {
			return false
		}
		da, db := mustDec(av), mustDec(bv)
		p := min(da.scale, db.scale)
		return da.round(p).cmp(db.round(p)) == 0
	case Temporal:
		y, ok := bv.(Temporal)
		if !ok {
			return false
		}
		c, known := compareTemporal(x, y)
		return known && c == 0
	case map[string]any:
		y, ok := bv.(map[string]any)
		return ok && EqualJSON(x, y)
	case Quantity:
		y, ok := bv.(Quantity)
		if !ok {
			return false
		}
		yb, yk, ok1 := y.toBase()
		xb, xk, ok2 := x.toBase()
		if !ok1 || !ok2 || xk != yk || xb.Sign() == 0 && yb.Sign() != 0 {
			return false
		}
		// y in x's unit, compared at the coarser of the two precisions.
		f := new(big.Rat).Quo(xb, x.value.r)
		if x.value.r.Sign() == 0 {
			return yb.Sign() == 0
		}
		yv := Decimal{r: new(big.Rat).Quo(yb, f), scale: divisionScale}.trim(0)
		p := min(x.value.scale, yv.scale)
		return x.value.round(p).cmp(yv.round(p)) == 0
	}
	eq, known := equalItem(a, b)
	return known && eq
}

func normSpace(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// compareItems orders two singletons; an error for types that cannot be
// ordered against each other.
func compareItems(a, b Item) (int, bool, error) {
	av, bv := sysValue(a), sysValue(b)
	if s, ok := av.(string); ok {
		if t, ok := bv.(Temporal); ok {
			if ta, ok := parseTemporal(s, t.form); ok {
				av = ta
			}
		}
	}
	if s, ok := bv.(string); ok {
		if t, ok := av.(Temporal); ok {
			if tb, ok := parseTemporal(s, t.form); ok {
				bv = tb
			}
		}
	}
	switch x := av.(type) {
	case string:
		if y, ok := bv.(string); ok {
			return strings.Compare(x, y), true, nil
		}
	case int64, Decimal:
		if isNumber(bv) {
			return mustDec(av).cmp(mustDec(bv)), true, nil
		}
	case Temporal:
		if y, ok := bv.(Temporal); ok {
			c, known := compareTemporal(x, y)
			return c, known, nil
		}
	case Quantity:
		if y, ok := bv.(Quantity); ok {
			c, known := compareQuantity(x, y)
			if !known {
				return 0, false, nil
			}
			return c, true, nil
		}
	}
	return 0, false, fmt.Errorf("cannot compare %s with %s", typeOf(a), typeOf(b))
}

func typeOf(it Item) string {
	if it.typ != "" {
		return it.typ
	}
	return systemType(it.val)
}

// arith applies + - * / div mod; ok false gives an empty result (division by
// zero).
func arith(op string, a, b any) (any, bool, error) {
	if x, ok := a.(string); ok && op == "+" {
		if y, ok := b.(string); ok {
			return x + y, true, nil
		}
	}
	if qa, ok := a.(Quantity); ok {
		return arithQuantity(op, qa, b)
	}
	if qb, ok := b.(Quantity); ok && isNumber(a) && op == "*" {
		return arithQuantity(op, qb, a)
	}
	if ta, ok := a.(Temporal); ok {
		if q, ok := b.(Quantity); ok && (op == "+" || op == "-") {
			return addDuration(ta, q, op == "-")
		}
	}
	if !isNumber(a) || !isNumber(b) {
		return nil, false, fmt.Errorf("%s needs numbers", op)
	}
	ia, aInt := a.(int64)
	ib, bInt := b.(int64)
	if aInt && bInt {
		switch op {
		case "+":
			return ia + ib, true, nil
		case "-":
			return ia - ib, true, nil
		case "*":
			return ia * ib, true, nil
		case "div":
			if ib == 0 {
				return nil, false, nil
			}
			return ia / ib, true, nil
		case "mod":
			if ib == 0 {
				return nil, false, nil
			}
			return ia % ib, true, nil
		}
	}
	da, db := mustDec(a), mustDec(b)
	switch op {
	case "+":
		return da.add(db), true, nil
	case "-":
		return da.sub(db), true, nil
	case "*":
		return da.mul(db), true, nil
	case "/":
		q, ok := da.div(db)
		return q, ok, nil
	case "div":
		if db.r.Sign() == 0 {
			return nil, false, nil
		}
		return Decimal{r: new(big.Rat).Quo(da.r, db.r)}.truncate().Int64(), true, nil
	case "mod":
		if db.r.Sign() == 0 {
			return nil, false, nil
		}
		t := Decimal{r: new(big.Rat).SetInt(Decimal{r: new(big.Rat).Quo(da.r, db.r)}.truncate())}
		return da.sub(t.mul(db)), true, nil
	}
	return nil, false, fmt.Errorf("unknown operator %s", op)
}

func arithQuantity(op string, a Quantity, b any) (any, bool, error) {
	switch y := b.(type) {
	case Quantity:
		switch op {
		case "+", "-":
			if a.unit != y.unit {
				yv, yk, ok1 := y.toBase()
				av, ak, ok2 := a.toBase()
				if !ok1 || !ok2 || yk != ak {
					return nil, false, nil
				}
				// Express y in a's unit.
				f := new(big.Rat).Quo(av, a.value.r)
				y = Quantity{value: Decimal{r: new(big.Rat).Quo(yv, f), scale: y.value.scale}, unit: a.unit}
			}
			if op == "+" {
				return Quantity{value: a.value.add(y.value), unit: a.unit}, true, nil
			}
			return Quantity{value: a.value.sub(y.value), unit: a.unit}, true, nil
		case "*", "/":
			q, ok := mulQuantity(a, y, op == "/")
			return q, ok, nil
		}
	case int64, Decimal:
		d := mustDec(y)
		switch op {
		case "*":
			return Quantity{value: a.value.mul(d), unit: a.unit}, true, nil
		case "/":
			q, ok := a.value.div(d)
			return Quantity{value: q, unit: a.unit}, ok, nil
		}
	}
	return nil, false, fmt.Errorf("%s is not defined on these quantities", op)
}

// addDuration adds a calendar duration to a date or time.
func addDuration(t Temporal, q Quantity, subtract bool) (any, bool, error) {
	if !q.value.r.IsInt() {
		return nil, false, errors.New("a date can be moved only by whole units")
	}
	n := q.value.r.Num().Int64()
	if subtract {
		n = -n
	}
	unit := q.unit
	if cu, ok := calendarUnits[unit]; ok {
		unit = cu
	}
	carry := func(u Temporal) Temporal { return u }
	_ = carry
	tm := timeOf(t)
	switch unit {
	case "year", "a":
		tm = tm.AddDate(int(n), 0, 0)
	case "month", "mo":
		tm = tm.AddDate(0, int(n), 0)
	case "wk":
		tm = tm.AddDate(0, 0, 7*int(n))
	case "d":
		tm = tm.AddDate(0, 0, int(n))
	case "h":
		tm = tm.Add(timeDuration(n, 3600e9))
	case "min":
		tm = tm.Add(timeDuration(n, 60e9))
	case "s":
		tm = tm.Add(timeDuration(n, 1e9))
	case "ms":
		tm = tm.Add(timeDuration(n, 1e6))
	default:
		return nil, false, fmt.Errorf("cannot add %s to a date", q.unit)
	}
	u := t
	u.y, u.mo, u.d, u.h, u.mi, u.s, u.ms = tm.Year(), int(tm.Month()), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()/1e6
	return u, true, nil
}
