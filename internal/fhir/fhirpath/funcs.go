package fhirpath

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type function struct {
	minArgs, maxArgs int
	typeArg          bool // the first argument is a type name: is(), as(), ofType()
	impl             func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error)
}

type callNode struct {
	from node
	name string
	fn   *function
	args []node
	ts   typeSpec
	re   *regexp.Regexp // a constant pattern of matches(), compiled once
}

func (n *callNode) eval(c *ctx, f *frame, in []Item) ([]Item, error) {
	c.steps++
	if c.steps > maxSteps {
		return nil, errors.New("expression too costly")
	}
	src := in
	if n.from != nil {
		var err error
		if src, err = n.from.eval(c, f, in); err != nil {
			return nil, err
		}
	}
	out, err := n.fn.impl(c, f, src, n)
	if err != nil {
		return nil, fmt.Errorf("%s(): %w", n.name, err)
	}
	return out, nil
}

// arg evaluates argument i eagerly, with the current $this as its focus.
func (n *callNode) arg(c *ctx, f *frame, i int) ([]Item, error) {
	var focus []Item
	if f.this.val != nil || f.this.typ != "" {
		focus = []Item{f.this}
	}
	return n.args[i].eval(c, f, focus)
}

// lambda evaluates argument i for one item of the input, as $this.
func (n *callNode) lambda(c *ctx, i int, it Item, index int, total []Item) ([]Item, error) {
	f := &frame{this: it, index: index, total: total}
	return n.args[i].eval(c, f, []Item{it})
}

func (n *callNode) stringArg(c *ctx, f *frame, i int) (string, bool, error) {
	xs, err := n.arg(c, f, i)
	if err != nil || len(xs) == 0 {
		return "", false, err
	}
	s, err := singletonString(xs, false)
	return s, err == nil, err
}

func (n *callNode) intArg(c *ctx, f *frame, i int) (int64, bool, error) {
	xs, err := n.arg(c, f, i)
	if err != nil {
		return 0, false, err
	}
	return singletonInt(xs)
}

func singletonInt(xs []Item) (int64, bool, error) {
	if len(xs) == 0 {
		return 0, false, nil
	}
	if len(xs) > 1 {
		return 0, false, errSingleton
	}
	i, ok := sysValue(xs[0]).(int64)
	if !ok {
		return 0, false, errors.New("expected an Integer")
	}
	return i, true, nil
}

// singletonString reads a String; with empty, an empty collection is "".
func singletonString(xs []Item, empty bool) (string, error) {
	if len(xs) == 0 {
		if empty {
			return "", nil
		}
		return "", errors.New("expected a String")
	}
	if len(xs) > 1 {
		return "", errSingleton
	}
	s, ok := sysValue(xs[0]).(string)
	if !ok {
		return "", fmt.Errorf("expected a String, not %s", typeOf(xs[0]))
	}
	return s, nil
}

// inputString reads the input of a string function: empty gives ok false.
func inputString(in []Item) (string, bool, error) {
	if len(in) == 0 {
		return "", false, nil
	}
	s, err := singletonString(in, false)
	return s, err == nil, err
}

var functions map[string]*function

func init() { functions = functionTable() }

func fn(min, max int, impl func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error)) *function {
	return &function{minArgs: min, maxArgs: max, impl: impl}
}

func functionTable() map[string]*function {
	m := map[string]*function{
		"empty": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			return boolItem(len(in) == 0), nil
		}),
		"exists": fn(0, 1, func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			if len(n.args) == 0 {
				return boolItem(len(in) > 0), nil
			}
			out, err := where(c, in, n)
			return boolItem(len(out) > 0), err
		}),
		"all": fn(1, 1, func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			for i, it := range in {
				r, err := n.lambda(c, 0, it, i, nil)
				if err != nil {
					return nil, err
				}
				if b, err := toBool(r); err != nil || b != bTrue {
					return boolItem(false), err
				}
			}
			return boolItem(true), nil
		}),
		"allTrue":  fn(0, 0, allAny(true, true)),
		"anyTrue":  fn(0, 0, allAny(false, true)),
		"allFalse": fn(0, 0, allAny(true, false)),
		"anyFalse": fn(0, 0, allAny(false, false)),
		"subsetOf": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			other, err := n.arg(c, f, 0)
			return boolItem(subset(in, other)), err
		}),
		"supersetOf": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			other, err := n.arg(c, f, 0)
			return boolItem(subset(other, in)), err
		}),
		"count": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			return []Item{{val: int64(len(in))}}, nil
		}),
		"distinct": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			return union(in, nil), nil
		}),
		"isDistinct": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			return boolItem(len(union(in, nil)) == len(in)), nil
		}),
		"where": fn(1, 1, func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			return where(c, in, n)
		}),
		"select": fn(1, 1, func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			var out []Item
			for i, it := range in {
				r, err := n.lambda(c, 0, it, i, nil)
				if err != nil {
					return nil, err
				}
				out = append(out, r...)
			}
			return out, nil
		}),
		"repeat": fn(1, 1, func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			var out []Item
			queue := in
			for len(queue) > 0 {
				var next []Item
				for i, it := range queue {
					r, err := n.lambda(c, 0, it, i, nil)
					if err != nil {
						return nil, err
					}
					for _, x := range r {
						if c.steps++; c.steps > maxSteps {
							return nil, errors.New("expression too costly")
						}
						if !containsItem(out, x) {
							out = append(out, x)
							next = append(next, x)
						}
					}
				}
				queue = next
			}
			return out, nil
		}),
		"ofType": {minArgs: 1, maxArgs: 1, typeArg: true, impl: func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			var out []Item
			for _, it := range in {
				if c.isType(it, n.ts) {
					out = append(out, it)
				}
			}
			return out, nil
		}},
		"is": {minArgs: 1, maxArgs: 1, typeArg: true, impl: func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			if len(in) > 1 {
				return nil, errSingleton
			}
			return boolItem(c.isType(in[0], n.ts)), nil
		}},
		"as": {minArgs: 1, maxArgs: 1, typeArg: true, impl: func(c *ctx, _ *frame, in []Item, n *callNode) ([]Item, error) {
			var out []Item
			for _, it := range in {
				if c.isType(it, n.ts) {
					out = append(out, it)
				}
			}
			return out, nil
		}},
		"single": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) > 1 {
				return nil, errSingleton
			}
			return in, nil
		}),
		"first": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			return in[:1], nil
		}),
		"last": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			return in[len(in)-1:], nil
		}),
		"tail": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			return in[1:], nil
		}),
		"skip": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			k, ok, err := n.intArg(c, f, 0)
			if err != nil || !ok {
				return nil, err
			}
			if k <= 0 {
				return in, nil
			}
			if k >= int64(len(in)) {
				return nil, nil
			}
			return in[k:], nil
		}),
		"take": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			k, ok, err := n.intArg(c, f, 0)
			if err != nil || !ok || k <= 0 {
				return nil, err
			}
			if k >= int64(len(in)) {
				return in, nil
			}
			return in[:k], nil
		}),
		"intersect": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			other, err := n.arg(c, f, 0)
			var out []Item
			for _, x := range in {
				if containsItem(other, x) && !containsItem(out, x) {
					out = append(out, x)
				}
			}
			return out, err
		}),
		"exclude": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			other, err := n.arg(c, f, 0)
			var out []Item
			for _, x := range in {
				if !containsItem(other, x) {
					out = append(out, x)
				}
			}
			return out, err
		}),
		"union": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			other, err := n.arg(c, f, 0)
			return union(in, other), err
		}),
		"combine": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			other, err := n.arg(c, f, 0)
			return append(append([]Item{}, in...), other...), err
		}),
		"iif": fn(2, 3, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			// Called on a collection (member.resolve().iif(empty(), …),
			// as R4's ctm-1 is written), the arguments are evaluated on
			// that collection, with its one item as $this.
			// On nothing (an unresolvable reference) they see nothing:
			// empty() is true there.
			arg := func(i int) ([]Item, error) { return n.arg(c, f, i) }
			if len(in) <= 1 {
				inner := &frame{index: f.index, total: f.total}
				if len(in) == 1 {
					inner.this = in[0]
				}
				arg = func(i int) ([]Item, error) { return n.args[i].eval(c, inner, in) }
			}
			crit, err := arg(0)
			if err != nil {
				return nil, err
			}
			if len(crit) > 1 {
				return nil, errSingleton
			}
			b, err := toBool(crit)
			if err != nil {
				return nil, err
			}
			if b == bTrue {
				return arg(1)
			}
			if len(n.args) == 3 {
				return arg(2)
			}
			return nil, nil
		}),
		"not": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			if len(in) > 1 {
				return nil, errSingleton
			}
			switch v := sysValue(in[0]).(type) {
			case bool:
				return boolItem(!v), nil
			case int64:
				if v == 0 || v == 1 {
					return boolItem(v == 0), nil
				}
			}
			return nil, errors.New("expected a Boolean")
		}),
		"children": fn(0, 0, func(c *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			var out []Item
			for _, it := range in {
				out = c.allChildren(out, it)
			}
			return out, nil
		}),
		"descendants": fn(0, 0, func(c *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			var out []Item
			queue := in
			for len(queue) > 0 {
				var next []Item
				for _, it := range queue {
					next = c.allChildren(next, it)
				}
				if c.steps += len(next); c.steps > maxSteps {
					return nil, errors.New("expression too costly")
				}
				out = append(out, next...)
				queue = next
			}
			return out, nil
		}),
		"trace": fn(1, 2, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			// Tracing is for debugging; the engine has no log, so trace()
			// returns its input unchanged (the projection is checked).
			if len(n.args) == 2 {
				for i, it := range in {
					if _, err := n.lambda(c, 1, it, i, nil); err != nil {
						return nil, err
					}
				}
			}
			return in, nil
		}),
		"aggregate": fn(1, 2, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			var total []Item
			if len(n.args) == 2 {
				var err error
				if total, err = n.arg(c, f, 1); err != nil {
					return nil, err
				}
			}
			for i, it := range in {
				r, err := n.lambda(c, 0, it, i, total)
				if err != nil {
					return nil, err
				}
				total = r
			}
			return total, nil
		}),
		"now": fn(0, 0, func(c *ctx, _ *frame, _ []Item, _ *callNode) ([]Item, error) {
			return []Item{{val: fromTime(c.now(), kDateTime)}}, nil
		}),
		"today": fn(0, 0, func(c *ctx, _ *frame, _ []Item, _ *callNode) ([]Item, error) {
			return []Item{{val: fromTime(c.now(), kDate)}}, nil
		}),
		"timeOfDay": fn(0, 0, func(c *ctx, _ *frame, _ []Item, _ *callNode) ([]Item, error) {
			t := fromTime(c.now(), kDateTime)
			t.form, t.tz = kTime, false
			return []Item{{val: t}}, nil
		}),
		"type": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			var out []Item
			for _, it := range in {
				ns, name := "System", systemType(it.val)
				if it.typ != "" {
					ns, name = "FHIR", it.typ
					if strings.Contains(name, ".") {
						name = "BackboneElement"
					}
				}
				out = append(out, Item{val: map[string]any{"namespace": ns, "name": name}})
			}
			return out, nil
		}),
		"extension": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			url, ok, err := n.stringArg(c, f, 0)
			if err != nil || !ok {
				return nil, err
			}
			var out []Item
			for _, it := range in {
				var exts []Item
				if obj, ok := it.val.(map[string]any); ok {
					exts = appendValues(exts, obj["extension"], nil, "Extension")
				}
				if it.ext != nil {
					exts = appendValues(exts, it.ext["extension"], nil, "Extension")
				}
				for _, e := range exts {
					if m, ok := e.val.(map[string]any); ok && m["url"] == url {
						out = append(out, e)
					}
				}
			}
			return out, nil
		}),
		"hasValue": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) != 1 {
				return boolItem(false), nil
			}
			_, complex := in[0].val.(map[string]any)
			return boolItem(in[0].val != nil && !complex), nil
		}),
		"getValue": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) != 1 || in[0].val == nil {
				return nil, nil
			}
			if _, complex := in[0].val.(map[string]any); complex {
				return nil, nil
			}
			return []Item{{val: sysValue(in[0])}}, nil
		}),
		"resolve": fn(0, 0, func(c *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			// Only references inside the resource resolve: contained
			// resources (#id) and, in a Bundle, entries by fullUrl.
			var out []Item
			for _, it := range in {
				ref := ""
				if obj, ok := it.val.(map[string]any); ok {
					ref, _ = obj["reference"].(string)
				} else if s, ok := sysValue(it).(string); ok {
					ref = s
				}
				if r, ok := c.resolve(ref); ok {
					out = append(out, r)
				}
			}
			return out, nil
		}),
		"memberOf": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			vs, ok, err := n.stringArg(c, f, 0)
			if err != nil || !ok || len(in) == 0 {
				return nil, err
			}
			if len(in) > 1 {
				return nil, errSingleton
			}
			if c.opt.MemberOf == nil {
				return nil, errors.New("no terminology service")
			}
			b, err := c.opt.MemberOf(in[0], vs)
			if err != nil {
				return nil, err
			}
			return boolItem(b), nil
		}),
		"conformsTo": fn(1, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			url, ok, err := n.stringArg(c, f, 0)
			if err != nil || !ok || len(in) == 0 {
				return nil, err
			}
			// Core profiles only: a resource conforms to its own type's
			// definition (its structure is checked separately).
			name, ok := strings.CutPrefix(url, "http://hl7.org/fhir/StructureDefinition/")
			if !ok || !isTypeName(name) || (c.opt.Model != nil && !c.opt.Model.Known(name)) {
				return nil, fmt.Errorf("unknown profile %s", url)
			}
			return boolItem(c.derivesFrom(in[0].typ, name)), nil
		}),
		"htmlChecks": fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			for _, it := range in {
				s, _ := sysValue(it).(string)
				if !htmlSafe(s) {
					return boolItem(false), nil
				}
			}
			return boolItem(true), nil
		}),
	}
	addConversions(m)
	addStrings(m)
	addMath(m)
	return m
}

func where(c *ctx, in []Item, n *callNode) ([]Item, error) {
	var out []Item
	for i, it := range in {
		r, err := n.lambda(c, 0, it, i, nil)
		if err != nil {
			return nil, err
		}
		if b, err := toBool(r); err != nil {
			return nil, err
		} else if b == bTrue {
			out = append(out, it)
		}
	}
	return out, nil
}

func allAny(all, want bool) func(*ctx, *frame, []Item, *callNode) ([]Item, error) {
	return func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
		for _, it := range in {
			b, isBool := sysValue(it).(bool)
			if !isBool {
				// Not a Boolean: neither true nor false.
				if all {
					return boolItem(false), nil
				}
				continue
			}
			if all && b != want {
				return boolItem(false), nil
			}
			if !all && b == want {
				return boolItem(true), nil
			}
		}
		return boolItem(all), nil
	}
}

func containsItem(xs []Item, x Item) bool {
	for _, y := range xs {
		if eq, known := equalItem(x, y); known && eq {
			return true
		}
	}
	return false
}

func subset(a, b []Item) bool {
	for _, x := range a {
		if !containsItem(b, x) {
			return false
		}
	}
	return true
}

// allChildren appends every child element of it, in the JSON's member order
// (Go map order is random, so members are sorted by name for a stable
// result).
func (c *ctx) allChildren(out []Item, it Item) []Item {
	obj, ok := it.val.(map[string]any)
	if !ok {
		return out
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k != "resourceType" && !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	for _, k := range keys {
		var typ string
		if c.opt.Model != nil && it.typ != "" {
			if t, _, found := c.opt.Model.Child(it.typ, k); found {
				typ = t
			}
		}
		out = appendValues(out, obj[k], obj["_"+k], typ)
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (c *ctx) now() time.Time {
	if c.opt.Now != nil {
		return c.opt.Now()
	}
	return time.Now()
}

// resolve finds a reference inside the resource being evaluated.
func (c *ctx) resolve(ref string) (Item, bool) {
	root, ok := c.resource.val.(map[string]any)
	if !ok || ref == "" {
		return Item{}, false
	}
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		cs, _ := root["contained"].([]any)
		for _, x := range cs {
			if m, ok := x.(map[string]any); ok && m["id"] == id {
				return Resource(m), true
			}
		}
		return Item{}, false
	}
	entries, _ := root["entry"].([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		res, _ := m["resource"].(map[string]any)
		if res == nil {
			continue
		}
		if m["fullUrl"] == ref {
			return Resource(res), true
		}
		if rt, _ := res["resourceType"].(string); rt != "" && ref == rt+"/"+fmt.Sprint(res["id"]) {
			return Resource(res), true
		}
	}
	return referencedType(ref)
}

// referencedType stands in for a resource the evaluation cannot fetch
// (Patient/1 on the server, another server's URL, a conditional
// Practitioner?identifier=…): a resource of the type the reference names,
// with nothing else, as the HL7 validator resolves one. So the core
// invariants that test a target's type (ctm-1: member.resolve() is
// Practitioner) hold or fail by the reference, and those that read a
// target's content see none of it.
func referencedType(ref string) (Item, bool) {
	if t, _, conditional := strings.Cut(ref, "?"); conditional {
		if resourceTypeName(t) {
			return Resource(map[string]any{"resourceType": t}), true
		}
		return Item{}, false
	}
	parts := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || !resourceTypeName(parts[n-2]) || parts[n-1] == "" {
		return Item{}, false
	}
	return Resource(map[string]any{"resourceType": parts[n-2], "id": parts[n-1]}), true
}

// resourceTypeName reports whether s is spelled as a resource type is: an
// upper-case letter, then letters.
func resourceTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// htmlSafe is the check of FHIR's txt-1: narrative XHTML without scripts,
// event handlers, forms or other active content.
func htmlSafe(s string) bool {
	l := strings.ToLower(s)
	for _, bad := range []string{"<script", "<iframe", "<object", "<embed", "<form", "<input", "<frame", "<applet", "<base", "<link", "<meta", "<style", "javascript:", "vbscript:"} {
		if strings.Contains(l, bad) {
			return false
		}
	}
	// Event handler attributes (onclick=…).
	for i := strings.Index(l, " on"); i >= 0; {
		j := i + 3
		for j < len(l) && l[j] >= 'a' && l[j] <= 'z' {
			j++
		}
		for j < len(l) && l[j] == ' ' {
			j++
		}
		if j > i+3 && j < len(l) && l[j] == '=' {
			return false
		}
		k := strings.Index(l[i+1:], " on")
		if k < 0 {
			break
		}
		i += k + 1
	}
	return true
}

func addConversions(m map[string]*function) {
	conv := func(name string, to func(Item) (Item, bool)) {
		m["to"+name] = fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			if len(in) > 1 {
				return nil, errSingleton
			}
			if v, ok := to(in[0]); ok {
				return []Item{v}, nil
			}
			return nil, nil
		})
		m["convertsTo"+name] = fn(0, 0, func(_ *ctx, _ *frame, in []Item, _ *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			if len(in) > 1 {
				return nil, errSingleton
			}
			_, ok := to(in[0])
			return boolItem(ok), nil
		})
	}
	conv("Boolean", func(it Item) (Item, bool) {
		b, ok := booleanOf(sysValue(it))
		return Item{val: b}, ok
	})
	conv("Integer", func(it Item) (Item, bool) {
		switch v := sysValue(it).(type) {
		case int64:
			return Item{val: v}, true
		case bool:
			if v {
				return Item{val: int64(1)}, true
			}
			return Item{val: int64(0)}, true
		case string:
			if i, err := strconv.ParseInt(v, 10, 64); err == nil && (v[0] != '+' || len(v) > 1) {
				return Item{val: i}, true
			}
		}
		return Item{}, false
	})
	conv("Decimal", func(it Item) (Item, bool) {
		switch v := sysValue(it).(type) {
		case bool:
			if v {
				return Item{val: decFromInt(1)}, true
			}
			return Item{val: decFromInt(0)}, true
		case string:
			if strings.ContainsAny(v, "eE") {
				return Item{}, false
			}
		}
		d, ok := toDecimal(it)
		return Item{val: d}, ok
	})
	conv("String", func(it Item) (Item, bool) {
		s, ok := toString(it)
		return Item{val: s}, ok
	})
	conv("Date", func(it Item) (Item, bool) { return toTemporal(it, kDate) })
	conv("DateTime", func(it Item) (Item, bool) { return toTemporal(it, kDateTime) })
	conv("Time", func(it Item) (Item, bool) { return toTemporal(it, kTime) })
	conv("Quantity", func(it Item) (Item, bool) {
		switch v := sysValue(it).(type) {
		case Quantity:
			return Item{val: v}, true
		case int64, Decimal:
			return Item{val: Quantity{value: mustDec(v), unit: "1"}}, true
		case bool:
			d := decFromInt(0)
			if v {
				d = decFromInt(1)
			}
			return Item{val: Quantity{value: d, unit: "1"}}, true
		case string:
			return parseQuantityString(v)
		}
		return Item{}, false
	})
}

// parseQuantityString reads "1.5 'mg'", "4 days" or a bare number.
func parseQuantityString(s string) (Item, bool) {
	num, unit, hasUnit := strings.Cut(strings.TrimSpace(s), " ")
	d, ok := parseDecimal(num)
	if !ok || strings.ContainsAny(num, "eE") {
		return Item{}, false
	}
	if !hasUnit {
		return Item{val: Quantity{value: d, unit: "1"}}, true
	}
	unit = strings.TrimSpace(unit)
	if len(unit) >= 2 && unit[0] == '\'' && unit[len(unit)-1] == '\'' {
		return Item{val: Quantity{value: d, unit: unit[1 : len(unit)-1]}}, true
	}
	if _, ok := calendarUnits[unit]; ok {
		return Item{val: Quantity{value: d, unit: unit}}, true
	}
	return Item{}, false
}

func toTemporal(it Item, form tempForm) (Item, bool) {
	switch v := sysValue(it).(type) {
	case Temporal:
		switch {
		case v.form == form:
			return Item{val: v}, true
		case form == kDateTime && v.form == kDate:
			v.form = kDateTime
			return Item{val: v}, true
		case form == kDate && v.form == kDateTime:
			v.form = kDate
			v.prec = min(v.prec, pDay)
			v.h, v.mi, v.s, v.ms, v.msDigits, v.tz, v.off = 0, 0, 0, 0, 0, false, 0
			return Item{val: v}, true
		}
	case string:
		if form == kTime {
			v = "T" + v
		}
		if t, ok := parseTemporal(v, form); ok {
			return Item{val: t}, true
		}
	}
	return Item{}, false
}

func toDecimal(it Item) (Decimal, bool) {
	switch v := sysValue(it).(type) {
	case int64:
		return decFromInt(v), true
	case Decimal:
		return v, true
	case string:
		return parseDecimal(v)
	}
	return Decimal{}, false
}

func toString(it Item) (string, bool) {
	switch v := sysValue(it).(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case Decimal:
		return v.String(), true
	case Temporal:
		return v.String(), true
	case Quantity:
		return v.String(), true
	}
	return "", false
}

func addStrings(m map[string]*function) {
	str1 := func(min, max int, impl func(s string, c *ctx, f *frame, n *callNode) ([]Item, error)) *function {
		return fn(min, max, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			s, ok, err := inputString(in)
			if err != nil || !ok {
				return nil, err
			}
			return impl(s, c, f, n)
		})
	}
	m["indexOf"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		sub, ok, err := n.stringArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		i := strings.Index(s, sub)
		if i > 0 {
			i = utf8.RuneCountInString(s[:i])
		}
		return []Item{{val: int64(i)}}, nil
	})
	m["substring"] = str1(1, 2, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		start, ok, err := n.intArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		rs := []rune(s)
		if start < 0 || start >= int64(len(rs)) {
			return nil, nil
		}
		end := int64(len(rs))
		if len(n.args) == 2 {
			l, ok, err := n.intArg(c, f, 1)
			if err != nil {
				return nil, err
			}
			if ok && start+l < end {
				end = max(start+l, start)
			}
		}
		return str(string(rs[start:end])), nil
	})
	strPred := func(test func(s, sub string) bool) *function {
		return str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
			sub, ok, err := n.stringArg(c, f, 0)
			if err != nil || !ok {
				return nil, err
			}
			return boolItem(test(s, sub)), nil
		})
	}
	m["startsWith"] = strPred(strings.HasPrefix)
	m["endsWith"] = strPred(strings.HasSuffix)
	m["contains"] = strPred(strings.Contains)
	m["upper"] = str1(0, 0, func(s string, _ *ctx, _ *frame, _ *callNode) ([]Item, error) { return str(strings.ToUpper(s)), nil })
	m["lower"] = str1(0, 0, func(s string, _ *ctx, _ *frame, _ *callNode) ([]Item, error) { return str(strings.ToLower(s)), nil })
	m["trim"] = str1(0, 0, func(s string, _ *ctx, _ *frame, _ *callNode) ([]Item, error) { return str(strings.TrimSpace(s)), nil })
	m["length"] = str1(0, 0, func(s string, _ *ctx, _ *frame, _ *callNode) ([]Item, error) {
		return []Item{{val: int64(utf8.RuneCountInString(s))}}, nil
	})
	m["toChars"] = str1(0, 0, func(s string, _ *ctx, _ *frame, _ *callNode) ([]Item, error) {
		var out []Item
		for _, r := range s {
			out = append(out, Item{val: string(r)})
		}
		return out, nil
	})
	m["replace"] = str1(2, 2, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		pat, ok1, err := n.stringArg(c, f, 0)
		if err != nil {
			return nil, err
		}
		sub, ok2, err := n.stringArg(c, f, 1)
		if err != nil || !ok1 || !ok2 {
			return nil, err
		}
		return str(strings.ReplaceAll(s, pat, sub)), nil
	})
	m["matches"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		re, ok, err := n.regexp(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		return boolItem(re.MatchString(s)), nil
	})
	m["replaceMatches"] = str1(2, 2, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		re, ok, err := n.regexp(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		sub, ok, err := n.stringArg(c, f, 1)
		if err != nil || !ok {
			return nil, err
		}
		return str(re.ReplaceAllString(s, sub)), nil
	})
	m["split"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		sep, ok, err := n.stringArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		var out []Item
		for _, p := range strings.Split(s, sep) {
			out = append(out, Item{val: p})
		}
		return out, nil
	})
	m["join"] = fn(0, 1, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
		sep := ""
		if len(n.args) == 1 {
			var err error
			if sep, _, err = n.stringArg(c, f, 0); err != nil {
				return nil, err
			}
		}
		parts := make([]string, 0, len(in))
		for _, it := range in {
			s, ok := sysValue(it).(string)
			if !ok {
				return nil, errors.New("join() needs Strings")
			}
			parts = append(parts, s)
		}
		return str(strings.Join(parts, sep)), nil
	})
	m["encode"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		enc, ok, err := n.stringArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		switch enc {
		case "base64":
			return str(base64.StdEncoding.EncodeToString([]byte(s))), nil
		case "urlbase64":
			return str(base64.URLEncoding.EncodeToString([]byte(s))), nil
		case "hex":
			return str(hex.EncodeToString([]byte(s))), nil
		}
		return nil, fmt.Errorf("unknown encoding %s", enc)
	})
	m["decode"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		enc, ok, err := n.stringArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		var b []byte
		switch enc {
		case "base64":
			b, err = base64.StdEncoding.DecodeString(s)
		case "urlbase64":
			b, err = base64.URLEncoding.DecodeString(s)
		case "hex":
			b, err = hex.DecodeString(s)
		default:
			return nil, fmt.Errorf("unknown encoding %s", enc)
		}
		if err != nil {
			return nil, nil
		}
		return str(string(b)), nil
	})
	m["escape"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		target, ok, err := n.stringArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		switch target {
		case "html":
			return str(htmlEscaper.Replace(s)), nil
		case "json":
			return str(jsonEscaper.Replace(s)), nil
		}
		return nil, fmt.Errorf("unknown escape %s", target)
	})
	m["unescape"] = str1(1, 1, func(s string, c *ctx, f *frame, n *callNode) ([]Item, error) {
		target, ok, err := n.stringArg(c, f, 0)
		if err != nil || !ok {
			return nil, err
		}
		switch target {
		case "html":
			return str(html.UnescapeString(s)), nil
		case "json":
			out, _, err := quoted("\x00"+s+"\x00", 0)
			if err != nil {
				return nil, nil
			}
			return str(out), nil
		}
		return nil, fmt.Errorf("unknown escape %s", target)
	})
}

// regexp compiles argument i, once when it is a constant.
func (n *callNode) regexp(c *ctx, f *frame, i int) (*regexp.Regexp, bool, error) {
	if n.re != nil {
		return n.re, true, nil
	}
	pat, ok, err := n.stringArg(c, f, i)
	if err != nil || !ok {
		return nil, false, err
	}
	re, err := regexp.Compile("(?s)" + pat)
	if err != nil {
		return nil, false, err
	}
	return re, true, nil
}

func addMath(m map[string]*function) {
	num1 := func(min, max int, impl func(v any, c *ctx, f *frame, n *callNode) ([]Item, error)) *function {
		return fn(min, max, func(c *ctx, f *frame, in []Item, n *callNode) ([]Item, error) {
			if len(in) == 0 {
				return nil, nil
			}
			if len(in) > 1 {
				return nil, errSingleton
			}
			v := sysValue(in[0])
			switch v.(type) {
			case int64, Decimal, Quantity:
			default:
				return nil, errors.New("expected a number")
			}
			return impl(v, c, f, n)
		})
	}
	intRes := func(op func(Decimal) *big.Int) *function {
		return num1(0, 0, func(v any, _ *ctx, _ *frame, _ *callNode) ([]Item, error) {
			if i, ok := v.(int64); ok {
				return []Item{{val: i}}, nil
			}
			d, ok := v.(Decimal)
			if !ok {
				return nil, errors.New("expected a number")
			}
			return []Item{{val: op(d).Int64()}}, nil
		})
	}
	m["ceiling"] = intRes(Decimal.ceiling)
	m["floor"] = intRes(Decimal.floor)
	m["truncate"] = intRes(Decimal.truncate)
	m["abs"] = num1(0, 0, func(v any, _ *ctx, _ *frame, _ *callNode) ([]Item, error) {
		switch x := v.(type) {
		case int64:
			if x < 0 {
				x = -x
			}
			return []Item{{val: x}}, nil
		case Decimal:
			return []Item{{val: Decimal{r: new(big.Rat).Abs(x.r), scale: x.scale}}}, nil
		case Quantity:
			return []Item{{val: Quantity{value: Decimal{r: new(big.Rat).Abs(x.value.r), scale: x.value.scale}, unit: x.unit}}}, nil
		}
		return nil, nil
	})
	m["round"] = num1(0, 1, func(v any, c *ctx, f *frame, n *callNode) ([]Item, error) {
		p := int64(0)
		if len(n.args) == 1 {
			var ok bool
			var err error
			if p, ok, err = n.intArg(c, f, 0); err != nil || !ok {
				return nil, err
			}
			if p < 0 {
				return nil, errors.New("precision must not be negative")
			}
		}
		return []Item{{val: mustDec(v).round(int(p))}}, nil
	})
	float := func(op func(x float64) float64) *function {
		return num1(0, 0, func(v any, _ *ctx, _ *frame, _ *callNode) ([]Item, error) {
			r := op(mustDec(v).float())
			d, ok := decFromFloat(r)
			if !ok || math.IsNaN(r) || math.IsInf(r, 0) {
				return nil, nil
			}
			return []Item{{val: d}}, nil
		})
	}
	m["sqrt"] = float(math.Sqrt)
	m["exp"] = float(math.Exp)
	m["ln"] = float(math.Log)
	m["log"] = num1(1, 1, func(v any, c *ctx, f *frame, n *callNode) ([]Item, error) {
		b, err := n.arg(c, f, 0)
		if err != nil || len(b) != 1 || !isNumber(sysValue(b[0])) {
			return nil, err
		}
		r := math.Log(mustDec(v).float()) / math.Log(mustDec(sysValue(b[0])).float())
		d, ok := decFromFloat(r)
		if !ok {
			return nil, nil
		}
		return []Item{{val: d}}, nil
	})
	m["power"] = num1(1, 1, func(v any, c *ctx, f *frame, n *callNode) ([]Item, error) {
		e, err := n.arg(c, f, 0)
		if err != nil || len(e) != 1 {
			return nil, err
		}
		ev := sysValue(e[0])
		if bi, ok := v.(int64); ok {
			if ei, ok := ev.(int64); ok && ei >= 0 {
				r := new(big.Int).Exp(big.NewInt(bi), big.NewInt(ei), nil)
				if r.IsInt64() {
					return []Item{{val: r.Int64()}}, nil
				}
			}
		}
		if !isNumber(ev) {
			return nil, errors.New("expected a number")
		}
		r := math.Pow(mustDec(v).float(), mustDec(ev).float())
		d, ok := decFromFloat(r)
		if !ok || math.IsNaN(r) {
			return nil, nil
		}
		return []Item{{val: d}}, nil
	})
}

func timeOf(t Temporal) time.Time {
	mo, d := t.mo, t.d
	if mo == 0 {
		mo = 1
	}
	if d == 0 {
		d = 1
	}
	return time.Date(t.y, time.Month(mo), d, t.h, t.mi, t.s, t.ms*1e6, time.UTC)
}

func timeDuration(n int64, unit float64) time.Duration { return time.Duration(float64(n) * unit) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
var jsonEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

// booleanOf converts a System value to Boolean as toBoolean() does.
func booleanOf(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case int64:
		if v == 0 || v == 1 {
			return v == 1, true
		}
	case Decimal:
		if v.r.Cmp(big.NewRat(1, 1)) == 0 || v.r.Sign() == 0 {
			return v.r.Sign() != 0, true
		}
	case string:
		switch strings.ToLower(v) {
		case "true", "t", "yes", "y", "1", "1.0":
			return true, true
		case "false", "f", "no", "n", "0", "0.0":
			return false, true
		}
	}
	return false, false
}
