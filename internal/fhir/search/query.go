package search

import "github.com/emedpractice/emp/internal/fhir/spec"

// Query is a parsed FHIR search on one resource type. The store turns it into
// SQL over the index tables; the faces build it from a URL (Parse) and add the
// restrictions the caller's token imposes (Compartment, AnyOf).
type Query struct {
	Type string

	// Clauses must all match (repeated parameters are AND).
	Clauses []Clause

	// AnyOf, when not nil, requires at least one group of clauses to match
	// entirely. It carries the granular SMART v2 scope filters
	// (patient/Observation.rs?category=laboratory), which are OR'ed.
	AnyOf [][]Clause

	// Compartment confines the search to one patient's compartment when
	// Restricted (an empty Patient then matches nothing).
	Compartment Compartment

	Sort    []Sort
	Count   int    // page size, after defaults and caps
	Cursor  string // opaque keyset position from a previous page
	Total   bool   // _total=accurate: count all matches
	Summary string // "", "count", "true", "text", "data", "false"
	// Elements lists the top-level elements a client asked for (_elements);
	// empty means all.
	Elements []string

	// Include and RevInclude are the _include and _revinclude requests.
	Include    []Include
	RevInclude []Include

	// Ignored lists parameters that were not understood and were ignored
	// because the client asked for lenient handling; the self link omits them.
	Ignored []string
}

// Compartment restricts a search or read to one patient's records.
type Compartment struct {
	Restricted bool
	Patient    string
}

// Clause is one search parameter with its values, which are OR'ed.
//
// A chained parameter (subject:Patient.name=peter) has no Values: Param is
// the reference parameter of the searched type, and a match must point
// through it at a resource of one of the Chain types that matches that
// link's clause. A reverse chain (_has:Observation:patient:code=x) has no
// Values either: Param is the reference parameter of Has.Type, and a match
// must be pointed at through it by a resource of that type that matches
// Has.Clause.
type Clause struct {
	Param    *spec.SearchParam
	Modifier string
	Values   []Value
	Chain    []*Link
	Has      *Link
}

// Link is the far side of a chain or _has: the resources of Type that match
// Clause. The search reads them only to filter its own matches, so the face
// confines them as it would a direct search of Type by the same caller
// (Compartment, AnyOf); a chained search must not tell a caller what a
// direct search would not.
type Link struct {
	Type        string
	Clause      Clause
	Compartment Compartment
	AnyOf       [][]Clause
}

// Chained reports whether the clause reads other resources (a chain or a
// _has).
func (c *Clause) Chained() bool { return len(c.Chain) > 0 || c.Has != nil }

// Links calls fn for every chain and _has link of the clauses, nested ones
// included, outer links first. It stops at the first error.
func Links(clauses []Clause, fn func(*Link) error) error {
	for i := range clauses {
		c := &clauses[i]
		links := c.Chain
		if c.Has != nil {
			links = []*Link{c.Has}
		}
		for _, l := range links {
			if err := fn(l); err != nil {
				return err
			}
			if err := Links([]Clause{l.Clause}, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// Prefix is the comparator of an ordered (date, number, quantity) value.
type Prefix string

// The FHIR search prefixes.
const (
	Eq Prefix = "eq"
	Ne Prefix = "ne"
	Gt Prefix = "gt"
	Lt Prefix = "lt"
	Ge Prefix = "ge"
	Le Prefix = "le"
	Sa Prefix = "sa"
	Eb Prefix = "eb"
	Ap Prefix = "ap"
)

// Value is one value of a clause, parsed for its parameter's type. Only the
// fields of that type are set.
type Value struct {
	Raw string

	// Missing is set for the :missing modifier: true matches resources
	// without the parameter.
	Missing bool

	// string: Text is folded (or as given for :exact).
	Text string

	// token: HasSystem distinguishes "|code" (no system) from "code" (any).
	System    string
	HasSystem bool
	Code      string
	// ImplicitSystem is set when System is the implicit code system of
	// the parameter's code elements (spec.ImplicitSystem), which are
	// indexed without one.
	ImplicitSystem bool

	// date, number and quantity
	Prefix    Prefix
	Low, High int64   // date range, Unix microseconds
	Num       float64 // number or quantity value
	NumLow    float64 // implicit precision range
	NumHigh   float64
	// Exact is the number as order-preserving decimal keys, which the
	// store compares (Num and its range are float64 approximations).
	Exact ExactRange

	// reference: RefType may be empty (any type); URL for absolute references.
	RefType string
	RefID   string
	URL     string

	// composite: the value of each component, in order, parsed as its
	// type (Parts[0] a token).
	Parts []Value
}

// Sort is one _sort key.
type Sort struct {
	Param *spec.SearchParam // nil for _id and _lastUpdated
	Code  string
	Desc  bool
}
