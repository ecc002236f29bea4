package search

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// Page size limits. Large pages cost memory on the server and the client;
// clients page with the next link instead.
const (
	DefaultCount = 50
	MaxCount     = 1000
)

// Options tune how Parse treats what it does not understand.
type Options struct {
	// Lenient ignores unknown or unsupported parameters (Prefer:
	// handling=lenient) instead of failing with 400; they are listed in
	// Query.Ignored.
	Lenient bool
	// Local are the base URLs of this server: an absolute reference value
	// under one of them also matches the relative reference it stands for
	// (see LocalBases); any other absolute URL matches only itself.
	Local LocalBases
}

// resultParams are the parameters that shape the result rather than select
// resources. _format and _pretty are accepted and have no effect: the server
// always answers JSON.
var resultParams = map[string]bool{
	"_count": true, "_sort": true, "_total": true, "_summary": true, "_elements": true,
	"_cursor": true, "_format": true, "_pretty": true, "_include": true, "_revinclude": true,
	"_include:iterate": true, "_revinclude:iterate": true,
}

// Parse builds a Query for resource type rtype from URL query values. Each
// error names the parameter at fault.
func Parse(rtype string, params url.Values, opt Options) (*Query, error) {
	if err := refuseControls(params); err != nil {
		return nil, err
	}
	q := &Query{Type: rtype, Count: DefaultCount}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic clause order and error reporting
	var problems errs.Multi
	fail := func(e *errs.Error) {
		if opt.Lenient && notOnType(e) {
			q.Ignored = append(q.Ignored, e.Field)
			return
		}
		problems = append(problems, e)
	}
	for _, name := range names {
		values := params[name]
		if resultParams[name] {
			if err := q.parseResultParam(name, values); err != nil {
				fail(err)
			}
			continue
		}
		if strings.HasPrefix(name, "_has:") || strings.Contains(name, ".") {
			for _, raw := range values {
				var c Clause
				var err error
				if strings.HasPrefix(name, "_has:") {
					c, err = parseHas(rtype, name, raw, 1)
				} else {
					c, err = parseChain(rtype, name, raw)
				}
				if err != nil {
					e, ok := err.(*errs.Error)
					if !ok {
						return nil, err
					}
					e.Field = name
					fail(e)
					break
				}
				q.Clauses = append(q.Clauses, c)
				if len(q.Clauses) > MaxClauses {
					return nil, tooManyClauses(name)
				}
			}
			continue
		}
		code, modifier, _ := strings.Cut(name, ":")
		p, ok := spec.LookupSearchParam(rtype, code)
		if !ok {
			fail(&errs.Error{Kind: errs.Invalid, Field: name, Message: unknownParam})
			continue
		}
		if !Searchable(p) {
			fail(&errs.Error{Kind: errs.Invalid, Field: name, Message: unsupportedParam})
			continue
		}
		for _, raw := range values {
			c, err := parseClause(p, modifier, raw)
			if err != nil {
				if e, ok := err.(*errs.Error); ok {
					if e.Field == "" {
						e.Field = name
					}
					fail(e)
					continue
				}
				return nil, err
			}
			q.Clauses = append(q.Clauses, c)
			if len(q.Clauses) > MaxClauses {
				// Refused as soon as it is known: thousands of repeats
				// are not parsed to be thrown away.
				return nil, tooManyClauses(name)
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if e := checkBounds(q); e != nil {
		return nil, e
	}
	q.Clauses = fuse(rtype, q.Clauses)
	localize(q.Clauses, opt.Local)
	return q, nil
}

const (
	unknownParam     = "unknown search parameter for this resource type"
	unsupportedParam = "this search parameter is not supported"
)

// Searchable reports whether the engine can search by p: special
// parameters, composites of a shape the engine does not index (composite.go),
// and parameters whose expression could not be compiled to index paths,
// cannot be.
func Searchable(p *spec.SearchParam) bool {
	switch p.Code {
	case "_id", "_lastUpdated":
		return true
	}
	switch p.Type {
	case spec.ParamComposite:
		return compositeSearchable(p)
	case spec.ParamSpecial:
		return false
	}
	return len(p.Paths) > 0
}

func (q *Query) parseResultParam(name string, values []string) *errs.Error {
	last := values[len(values)-1]
	switch name {
	case "_count":
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 {
			return errs.Field(name, "must be a non-negative integer, got %q", last)
		}
		q.Count = min(n, MaxCount)
	case "_sort":
		q.Sort = q.Sort[:0]
		keys := splitList(last)
		if len(keys) > MaxSortKeys {
			return bound(name, "a search may have at most %d sort keys (MaxSortKeys), this one has %d", MaxSortKeys, len(keys))
		}
		for _, key := range keys {
			s := Sort{Code: key}
			if strings.HasPrefix(key, "-") {
				s.Desc, s.Code = true, key[1:]
			}
			if s.Code != "_id" && s.Code != "_lastUpdated" {
				p, ok := spec.LookupSearchParam(q.Type, s.Code)
				if !ok {
					return errs.Field(name, "unknown sort parameter %q", s.Code)
				}
				switch p.Type {
				case spec.ParamString, spec.ParamToken, spec.ParamDate, spec.ParamNumber, spec.ParamQuantity, spec.ParamURI, spec.ParamReference:
				default:
					return errs.Field(name, "cannot sort by %q", s.Code)
				}
				s.Param = p
			}
			q.Sort = append(q.Sort, s)
		}
	case "_total":
		switch last {
		case "none", "estimate":
			q.Total = false
		case "accurate":
			q.Total = true
		default:
			return errs.Field(name, "must be none, estimate or accurate, got %q", last)
		}
	case "_summary":
		switch last {
		case "count", "true", "text", "data", "false":
			q.Summary = last
		default:
			return errs.Field(name, "must be true, false, text, data or count, got %q", last)
		}
	case "_elements":
		q.Elements = q.Elements[:0]
		for _, e := range splitList(last) {
			if !isElementName(e) {
				return errs.Field(name, "not an element name: %q", e)
			}
			q.Elements = append(q.Elements, e)
		}
	case "_cursor":
		q.Cursor = last
	case "_include", "_revinclude", "_include:iterate", "_revinclude:iterate":
		rev := strings.HasPrefix(name, "_revinclude")
		incs, err := parseIncludes(q.Type, name, values, rev, strings.HasSuffix(name, ":iterate"))
		if err != nil {
			return err
		}
		if rev {
			q.RevInclude = append(q.RevInclude, incs...)
		} else {
			q.Include = append(q.Include, incs...)
		}
	}
	return nil
}

func isElementName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// parseClause parses the comma-separated values of one occurrence of a
// parameter.
func parseClause(p *spec.SearchParam, modifier, raw string) (Clause, error) {
	c := Clause{Param: p, Modifier: modifier}
	if err := checkModifier(p, modifier); err != nil {
		return c, err
	}
	if modifier == "missing" {
		switch raw {
		case "true", "false":
			c.Values = []Value{{Raw: raw, Missing: raw == "true"}}
			return c, nil
		}
		return c, errs.E(errs.Invalid, ":missing takes true or false, got %q", raw)
	}
	parts := splitList(raw)
	if len(parts) == 0 {
		return c, errs.E(errs.Invalid, "a value is required")
	}
	if len(parts) > MaxOrValues {
		return c, bound("", "a parameter may have at most %d comma-separated values (MaxOrValues), this one has %d", MaxOrValues, len(parts))
	}
	for _, part := range parts {
		v, err := parseValue(p, modifier, part)
		if err != nil {
			return c, err
		}
		c.Values = append(c.Values, v)
	}
	return c, nil
}

func checkModifier(p *spec.SearchParam, m string) error {
	if m == "" || m == "missing" {
		return nil
	}
	ok := false
	switch p.Type {
	case spec.ParamString:
		ok = m == "exact" || m == "contains"
	case spec.ParamToken:
		ok = m == "not" || m == "text"
	case spec.ParamURI:
		ok = m == "below" || m == "above"
	case spec.ParamReference:
		_, ok = spec.CanonicalType(m)
		if ok {
			ok = len(p.Targets) == 0 || contains(p.Targets, canonical(m))
		}
	}
	if !ok {
		return errs.E(errs.Invalid, "modifier :%s is not supported for a %s parameter", m, p.Type)
	}
	return nil
}

func canonical(t string) string {
	c, _ := spec.CanonicalType(t)
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseValue(p *spec.SearchParam, modifier, s string) (Value, error) {
	v := Value{Raw: s}
	if s == "" {
		return v, errs.E(errs.Invalid, "empty value")
	}
	switch p.Type {
	case spec.ParamString:
		if modifier == "exact" {
			v.Text = unescape(s)
		} else {
			v.Text = Fold(unescape(s))
		}
	case spec.ParamToken:
		if modifier == "text" {
			v.Text = Fold(unescape(s))
			break
		}
		sys, code, has := cutUnescaped(s, '|')
		v.HasSystem = has
		if has {
			v.System, v.Code = unescape(sys), unescape(code)
			v.ImplicitSystem = v.System != "" && v.System == spec.ImplicitSystem(p)
		} else {
			v.Code = unescape(s)
		}
		if p.Code == "_id" && !validID(v.Code) {
			return v, errs.E(errs.Invalid, "not a valid id: %q", s)
		}
	case spec.ParamURI:
		v.URL = unescape(s)
	case spec.ParamReference:
		return parseReference(v, p, modifier, unescape(s))
	case spec.ParamDate:
		v.Prefix, s = splitPrefix(s)
		lo, hi, ok := DateRange(s)
		if !ok {
			return v, errs.E(errs.Invalid, "not a valid date: %q", v.Raw)
		}
		v.Low, v.High = lo, hi
	case spec.ParamNumber:
		v.Prefix, s = splitPrefix(s)
		n, lo, hi, ok := NumberRange(s)
		ex, ok2 := exactRange(s)
		if !ok || !ok2 {
			return v, errs.E(errs.Invalid, "not a valid number: %q", v.Raw)
		}
		v.Num, v.NumLow, v.NumHigh, v.Exact = n, lo, hi, ex
	case spec.ParamQuantity:
		v.Prefix, s = splitPrefix(s)
		num, rest, _ := cutUnescaped(s, '|')
		n, lo, hi, ok := NumberRange(num)
		ex, ok2 := exactRange(num)
		if !ok || !ok2 {
			return v, errs.E(errs.Invalid, "not a valid quantity: %q", v.Raw)
		}
		v.Num, v.NumLow, v.NumHigh, v.Exact = n, lo, hi, ex
		if rest != "" {
			sys, code, has := cutUnescaped(rest, '|')
			// An empty system (5.4||mg) is no system: R4 matches the
			// code against the quantity's code or its unit, whatever
			// the system.
			switch {
			case has && sys != "":
				v.System, v.Code, v.HasSystem = unescape(sys), unescape(code), true
			case has:
				v.Code = unescape(code)
			default:
				v.Code = unescape(rest)
			}
		}
	case spec.ParamComposite:
		return parseComposite(p, s)
	default:
		return v, errs.E(errs.Invalid, "searching by a %s parameter is not supported", p.Type)
	}
	return v, nil
}

func parseReference(v Value, p *spec.SearchParam, modifier, s string) (Value, error) {
	if modifier != "" {
		v.RefType = canonical(modifier)
	}
	if strings.Contains(s, "://") || strings.HasPrefix(s, "urn:") {
		// Matches only this URL, unless Parse finds it is under a local
		// base (localize).
		v.URL = s
		return v, nil
	}
	typ, id, hasType := strings.Cut(s, "/")
	if hasType {
		t, ok := spec.CanonicalType(typ)
		if !ok || t != typ {
			return v, errs.E(errs.Invalid, "unknown resource type in reference %q", s)
		}
		if v.RefType != "" && v.RefType != t {
			return v, errs.E(errs.Invalid, "reference %q does not match the :%s modifier", s, modifier)
		}
		v.RefType = t
	} else {
		id = s
	}
	if !validID(id) {
		return v, errs.E(errs.Invalid, "not a valid resource id: %q", id)
	}
	v.RefID = id
	if v.RefType == "" && len(p.Targets) == 1 {
		v.RefType = p.Targets[0]
	}
	return v, nil
}

// validID reports whether s is a FHIR id: 1-64 of [A-Za-z0-9-.].
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// ValidID reports whether s is a syntactically valid FHIR resource id.
func ValidID(s string) bool { return validID(s) }

func splitPrefix(s string) (Prefix, string) {
	if len(s) > 2 {
		switch p := Prefix(s[:2]); p {
		case Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap:
			return p, s[2:]
		}
	}
	return Eq, s
}

// splitList splits on commas not escaped with a backslash; the parts keep
// their escapes for the value parser.
func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',':
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// cutUnescaped cuts s at the first sep not escaped with a backslash.
func cutUnescaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unescape removes the search escapes \, \| \$ and \\.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
