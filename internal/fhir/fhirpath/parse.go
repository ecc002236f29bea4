package fhirpath

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The parser is a precedence climber over the FHIRPath 2.0 grammar. It builds
// the tree the evaluator runs; functions are resolved here, so an unknown
// function or a wrong argument count is a compile error, not a surprise on
// the hundredth resource.

// Binary operator precedence, lowest first, as the grammar orders them.
var precedence = map[string]int{
	"implies": 1,
	"or":      2, "xor": 2,
	"and": 3,
	"in":  4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5,
	"<": 6, ">": 6, "<=": 6, ">=": 6,
	"|":  7,
	"is": 8, "as": 8,
	"+": 9, "-": 9, "&": 9,
	"*": 10, "/": 10, "div": 10, "mod": 10,
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.class != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at %d: %s", p.peek().pos, fmt.Sprintf(format, args...))
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.class == tOp && t.text == s
}

func (p *parser) expect(s string) error {
	if !p.isOp(s) {
		return p.errorf("expected %q", s)
	}
	p.next()
	return nil
}

// binaryOp reports the operator at the current token, if any.
func (p *parser) binaryOp() (string, int) {
	t := p.peek()
	if t.class != tOp && t.class != tIdent {
		return "", 0
	}
	prec, ok := precedence[t.text]
	if !ok {
		return "", 0
	}
	return t.text, prec
}

func (p *parser) expr(minPrec int) (node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, prec := p.binaryOp()
		if prec == 0 || prec < minPrec {
			return left, nil
		}
		p.next()
		if op == "is" || op == "as" {
			ts, err := p.typeSpec()
			if err != nil {
				return nil, err
			}
			left = &typeOpNode{op: op, x: left, ts: ts}
			continue
		}
		right, err := p.expr(prec + 1)
		if err != nil {
			return nil, err
		}
		left, err = newBinary(op, left, right)
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) typeSpec() (typeSpec, error) {
	var parts []string
	for {
		t := p.next()
		if t.class != tIdent && t.class != tDelimIdent {
			return typeSpec{}, p.errorf("expected a type name")
		}
		parts = append(parts, t.text)
		if !p.isOp(".") {
			break
		}
		p.next()
	}
	return newTypeSpec(parts)
}

func newTypeSpec(parts []string) (typeSpec, error) {
	switch len(parts) {
	case 1:
		return typeSpec{name: parts[0]}, nil
	case 2:
		if parts[0] != "System" && parts[0] != "FHIR" {
			return typeSpec{}, fmt.Errorf("unknown type namespace %q", parts[0])
		}
		return typeSpec{ns: parts[0], name: parts[1]}, nil
	}
	return typeSpec{}, fmt.Errorf("bad type name %q", strings.Join(parts, "."))
}

func (p *parser) unary() (node, error) {
	if p.isOp("+") || p.isOp("-") {
		op := p.next().text
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if op == "+" {
			return &unaryNode{neg: false, x: x}, nil
		}
		// Fold a negative literal so that -1 is an Integer constant.
		if l, ok := x.(*litNode); ok && len(l.items) == 1 {
			if v, err := negate(l.items[0]); err == nil {
				return &litNode{items: []Item{v}}, nil
			}
		}
		return &unaryNode{neg: true, x: x}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (node, error) {
	n, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			if t.class != tIdent && t.class != tDelimIdent {
				return nil, p.errorf("expected a name after '.'")
			}
			if t.class == tIdent && p.isOp("(") {
				n, err = p.call(n, t.text)
				if err != nil {
					return nil, err
				}
				continue
			}
			n = &memberNode{from: n, name: t.text}
		case p.isOp("["):
			p.next()
			idx, err := p.expr(1)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			n = &indexNode{x: n, idx: idx}
		default:
			return n, nil
		}
	}
}

func (p *parser) term() (node, error) {
	t := p.next()
	switch t.class {
	case tNumber:
		var it Item
		if strings.Contains(t.text, ".") {
			d, ok := parseDecimal(t.text)
			if !ok {
				return nil, p.errorf("bad number %s", t.text)
			}
			it = Item{val: d}
		} else {
			i, err := strconv.ParseInt(t.text, 10, 64)
			if err != nil {
				d, ok := parseDecimal(t.text)
				if !ok {
					return nil, p.errorf("bad number %s", t.text)
				}
				it = Item{val: d}
			} else {
				it = Item{val: i}
			}
		}
		// A quantity: a number followed by a unit string or keyword.
		if u := p.peek(); u.class == tString || (u.class == tIdent && calendarUnits[u.text] != "") {
			p.next()
			d, _ := toDecimal(it)
			return &litNode{items: []Item{{val: Quantity{value: d, unit: u.text}}}}, nil
		}
		return &litNode{items: []Item{it}}, nil
	case tString:
		return &litNode{items: []Item{{val: t.text}}}, nil
	case tDateTime:
		tm, ok := parseTemporal(t.text, 0)
		if !ok {
			return nil, fmt.Errorf("at %d: bad date/time literal @%s", t.pos, t.text)
		}
		return &litNode{items: []Item{{val: tm}}}, nil
	case tConst:
		return &constNode{name: t.text}, nil
	case tDelimIdent:
		return &memberNode{name: t.text}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return &litNode{items: []Item{{val: t.text == "true"}}}, nil
		case "$this":
			return thisNode{}, nil
		case "$index":
			return indexVarNode{}, nil
		case "$total":
			return totalNode{}, nil
		}
		if strings.HasPrefix(t.text, "$") {
			return nil, fmt.Errorf("at %d: unknown variable %s", t.pos, t.text)
		}
		if p.isOp("(") {
			return p.call(nil, t.text)
		}
		return &memberNode{name: t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			n, err := p.expr(1)
			if err != nil {
				return nil, err
			}
			return n, p.expect(")")
		case "{":
			return &litNode{}, p.expect("}")
		}
	}
	return nil, fmt.Errorf("at %d: unexpected %q", t.pos, t.text)
}

// call parses the arguments of function name invoked on from (nil: on the
// current focus) and binds the function.
func (p *parser) call(from node, name string) (node, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var args []node
	if !p.isOp(")") {
		for {
			a, err := p.expr(1)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	fn, ok := functions[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %s()", name)
	}
	if len(args) < fn.minArgs || len(args) > fn.maxArgs {
		return nil, fmt.Errorf("%s() takes %d to %d arguments, not %d", name, fn.minArgs, fn.maxArgs, len(args))
	}
	c := &callNode{from: from, name: name, fn: fn, args: args}
	if name == "matches" || name == "replaceMatches" {
		if l, ok := args[0].(*litNode); ok && len(l.items) == 1 {
			if pat, ok := l.items[0].val.(string); ok {
				re, err := regexp.Compile("(?s)" + pat)
				if err != nil {
					return nil, fmt.Errorf("%s(): %w", name, err)
				}
				c.re = re
			}
		}
	}
	if fn.typeArg {
		ts, err := typeSpecOf(args[0])
		if err != nil {
			return nil, fmt.Errorf("%s(): %w", name, err)
		}
		c.ts = ts
	}
	return c, nil
}

// typeSpecOf reads a type name written as an expression: is(Quantity),
// ofType(FHIR.Patient).
func typeSpecOf(n node) (typeSpec, error) {
	var parts []string
	for {
		m, ok := n.(*memberNode)
		if !ok {
			return typeSpec{}, fmt.Errorf("expected a type name")
		}
		parts = append([]string{m.name}, parts...)
		if m.from == nil {
			break
		}
		n = m.from
	}
	return newTypeSpec(parts)
}
