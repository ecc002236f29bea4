package patch

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/fhirpath"
)

// node is one element a path selects, with where it sits so that it can be
// replaced or removed: parent[key], or parent[key][idx] when idx >= 0.
type node struct {
	val    any
	parent map[string]any
	key    string
	idx    int
}

func (n node) set(v any) {
	if n.idx >= 0 {
		n.parent[n.key].([]any)[n.idx] = v
		return
	}
	n.parent[n.key] = v
}

func (n node) remove() {
	if n.idx < 0 {
		delete(n.parent, n.key)
		return
	}
	arr := n.parent[n.key].([]any)
	arr = append(arr[:n.idx:n.idx], arr[n.idx+1:]...)
	if len(arr) == 0 {
		delete(n.parent, n.key)
		return
	}
	n.parent[n.key] = arr
}

// step is one step of a path: an element name, an index, a where filter,
// first() or last().
type step struct {
	name  string // element name (by 'n')
	by    byte   // 'n' name, 'i' index, 'w' where, 'f' first, 'l' last
	index int
	conds []cond
}

type cond struct {
	path []string
	neq  bool
	lit  any // string, json.Number or bool
}

type path struct{ steps []step }

// names lists the element names of the path, what the type's definition
// knows it by (indexes and filters do not change the element).
func (p *path) names() []string {
	var out []string
	for _, s := range p.steps {
		if s.by == 'n' {
			out = append(out, s.name)
		}
	}
	return out
}

func parsePath(src, rtype string) (*path, error) {
	unsupported := func() error {
		return errs.E(errs.Invalid, "path %q is outside the supported FHIRPath subset (names, [n], where(a = 'x'), first(), last())", src)
	}
	rest, ok := strings.CutPrefix(src, rtype)
	if !ok {
		return nil, errs.E(errs.Invalid, "path %q does not start with %s", src, rtype)
	}
	p := &path{}
	for rest != "" {
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, unsupported()
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, unsupported()
			}
			p.steps = append(p.steps, step{by: 'i', index: n})
			rest = rest[end+1:]
		case strings.HasPrefix(rest, ".where("):
			body, after, err := balanced(rest[len(".where("):])
			if err != nil {
				return nil, unsupported()
			}
			conds, err := parseConds(body)
			if err != nil {
				return nil, unsupported()
			}
			p.steps = append(p.steps, step{by: 'w', conds: conds})
			rest = after
		case strings.HasPrefix(rest, ".first()"):
			p.steps = append(p.steps, step{by: 'f'})
			rest = rest[len(".first()"):]
		case strings.HasPrefix(rest, ".last()"):
			p.steps = append(p.steps, step{by: 'l'})
			rest = rest[len(".last()"):]
		case rest[0] == '.':
			i := 1
			for i < len(rest) && isNameByte(rest[i]) {
				i++
			}
			if i == 1 || (i < len(rest) && rest[i] != '.' && rest[i] != '[') {
				return nil, unsupported()
			}
			p.steps = append(p.steps, step{by: 'n', name: rest[1:i]})
			rest = rest[i:]
		default:
			return nil, unsupported()
		}
	}
	return p, nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// balanced splits "a = 'x(')).rest" at the parenthesis that closes the
// where, skipping quoted strings.
func balanced(s string) (inside, after string, err error) {
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\':
			i++
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return s[:i], s[i+1:], nil
			}
			depth--
		}
	}
	return "", "", errs.E(errs.Invalid, "unbalanced parenthesis")
}

// parseConds parses "a.b = 'x' and c != 2".
func parseConds(s string) ([]cond, error) {
	var out []cond
	for {
		s = strings.TrimSpace(s)
		i := 0
		for i < len(s) && (isNameByte(s[i]) || s[i] == '.') {
			i++
		}
		if i == 0 {
			return nil, errs.E(errs.Invalid, "no element in the condition")
		}
		c := cond{path: strings.Split(s[:i], ".")}
		s = strings.TrimSpace(s[i:])
		switch {
		case strings.HasPrefix(s, "!="):
			c.neq, s = true, s[2:]
		case strings.HasPrefix(s, "="):
			s = s[1:]
		default:
			return nil, errs.E(errs.Invalid, "only = and != are supported")
		}
		s = strings.TrimSpace(s)
		var err error
		if c.lit, s, err = literal(s); err != nil {
			return nil, err
		}
		out = append(out, c)
		s = strings.TrimSpace(s)
		if s == "" {
			return out, nil
		}
		rest, ok := strings.CutPrefix(s, "and ")
		if !ok {
			return nil, errs.E(errs.Invalid, "only and joins conditions")
		}
		s = rest
	}
}

func literal(s string) (any, string, error) {
	if strings.HasPrefix(s, "'") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; c {
			case '\\':
				if i+1 >= len(s) {
					return nil, "", errs.E(errs.Invalid, "bad escape")
				}
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte(s[i])
				}
			case '\'':
				return b.String(), s[i+1:], nil
			default:
				b.WriteByte(c)
			}
		}
		return nil, "", errs.E(errs.Invalid, "unterminated string")
	}
	i := 0
	for i < len(s) && s[i] != ' ' {
		i++
	}
	word := s[:i]
	switch word {
	case "true":
		return true, s[i:], nil
	case "false":
		return false, s[i:], nil
	}
	if _, err := strconv.ParseFloat(word, 64); err != nil || word == "" {
		return nil, "", errs.E(errs.Invalid, "not a literal: %q", word)
	}
	return json.Number(word), s[i:], nil
}

// eval returns the elements the path selects in doc.
func (p *path) eval(doc map[string]any) []node {
	cur := []node{{val: doc, idx: -1}}
	for _, s := range p.steps {
		var next []node
		switch s.by {
		case 'n':
			for _, n := range cur {
				m, ok := n.val.(map[string]any)
				if !ok {
					continue
				}
				switch v := m[s.name].(type) {
				case nil:
				case []any:
					for i, x := range v {
						next = append(next, node{val: x, parent: m, key: s.name, idx: i})
					}
				default:
					next = append(next, node{val: v, parent: m, key: s.name, idx: -1})
				}
			}
		case 'i':
			if s.index < len(cur) {
				next = cur[s.index : s.index+1]
			}
		case 'f':
			if len(cur) > 0 {
				next = cur[:1]
			}
		case 'l':
			if len(cur) > 0 {
				next = cur[len(cur)-1:]
			}
		case 'w':
			for _, n := range cur {
				if matches(n.val, s.conds) {
					next = append(next, n)
				}
			}
		}
		cur = next
	}
	return cur
}

// matches: every condition holds. A condition on a path with several
// values holds when any equals (=) or none equals (!=) the literal.
func matches(v any, conds []cond) bool {
	for _, c := range conds {
		vals := fhirjson.Follow(v, c.path...)
		found := false
		for _, x := range vals {
			if fhirpath.EqualJSON(x, c.lit) {
				found = true
			}
		}
		if found == c.neq {
			return false
		}
	}
	return true
}

// list resolves a path that names a list (insert, move): the path up to its
// last element name must select one element, which holds the list.
func (p *path) list(doc map[string]any, src string) (map[string]any, string, error) {
	last := len(p.steps) - 1
	if last < 0 || p.steps[last].by != 'n' {
		return nil, "", errs.E(errs.Invalid, "%s must end with the name of the list", src)
	}
	parent := &path{steps: p.steps[:last]}
	n, err := one(parent.eval(doc), src)
	if err != nil {
		return nil, "", err
	}
	m, ok := n.val.(map[string]any)
	if !ok {
		return nil, "", errs.E(errs.Invalid, "%s is not inside an element", src)
	}
	return m, p.steps[last].name, nil
}
