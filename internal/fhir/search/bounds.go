package search

import (
	"errors"
	"fmt"

	"github.com/emedpractice/emp/internal/errs"
)

// The bounds of one search. Every clause is a semi-join, every OR'ed value a
// condition inside one and every sort key a correlated sub-select, so a
// query string alone could otherwise ask the database for unbounded work:
// PostgreSQL spent minutes planning 400 repeats of one parameter, and SQLite
// refused 500 OR'ed values ("Expression tree is too large") with a 500. The
// bounds are far above what a client needs (the US Core and Bulk Data
// searches use at most five parameters, a handful of values and two sort
// keys) and far below what costs the database anything noticeable. A search
// over a bound is refused with 400 naming the bound and the parameter;
// chains (maxChainLinks, maxChainTypes), _has (maxHasDepth) and _include
// (maxIncludes) have their own bounds where they are parsed.
const (
	// MaxClauses bounds the selecting parameters of one search, counting a
	// repeated parameter (date=ge2020&date=lt2021) once per occurrence.
	MaxClauses = 32
	// MaxOrValues bounds the comma-separated values of one occurrence of
	// a parameter. _revinclude asks for its targets 100 at a time.
	MaxOrValues = 100
	// MaxValues bounds the values of all clauses of one search, those of
	// every chain and _has link included (a chain over several types counts
	// its values once per type: each is its own sub-select).
	MaxValues = 200
	// MaxSortKeys bounds the keys of _sort.
	MaxSortKeys = 5
)

// ErrBound is the cause of every refusal of a search over a bound, so a face
// that rewords search errors (the /api/ envelope) can pass these on as they
// are: they name the bound.
var ErrBound = errors.New("search: over a bound")

// bound is a refusal of a search over a bound, naming the parameter.
func bound(field, format string, args ...any) *errs.Error {
	e := errs.Field(field, format, args...)
	e.Err = ErrBound
	return e
}

// checkBounds refuses a query over MaxClauses or MaxValues. Parse calls it
// on what it parsed; a face that assembles a Query from several Parse calls
// (the /api/ list filters) calls CheckBounds.
func checkBounds(q *Query) *errs.Error {
	if n := len(q.Clauses); n > MaxClauses {
		return bound(paramName(&q.Clauses[MaxClauses]), "a search may have at most %d parameters (MaxClauses), this one has %d", MaxClauses, n)
	}
	total := 0
	for i := range q.Clauses {
		total += countValues(&q.Clauses[i])
		if total > MaxValues {
			return bound(paramName(&q.Clauses[i]), "a search may have at most %d values over all its parameters (MaxValues)", MaxValues)
		}
	}
	if n := len(q.Sort); n > MaxSortKeys {
		return bound("_sort", "a search may have at most %d sort keys (MaxSortKeys), this one has %d", MaxSortKeys, n)
	}
	if n := len(q.Include) + len(q.RevInclude); n > maxIncludes {
		return bound("_include", "a search may have at most %d _include and _revinclude values together, this one has %d", maxIncludes, n)
	}
	return nil
}

// CheckBounds refuses with 400 a Query over the bounds of one search
// (MaxClauses, MaxValues, MaxSortKeys, the include bound). Parse applies
// them itself; this is for Queries assembled from several Parse calls.
func CheckBounds(q *Query) error {
	if e := checkBounds(q); e != nil {
		return e
	}
	return nil
}

// countValues counts the values of c and of every link under it.
func countValues(c *Clause) int {
	n := len(c.Values)
	links := c.Chain
	if c.Has != nil {
		links = append(links[:len(links):len(links)], c.Has)
	}
	for _, l := range links {
		n += countValues(&l.Clause)
	}
	return n
}

// paramName names a clause's parameter for an error (the chain or _has
// expression is not kept, so its reference parameter stands for it).
func paramName(c *Clause) string {
	if c.Param == nil {
		return ""
	}
	if c.Modifier != "" && !c.Chained() {
		return fmt.Sprintf("%s:%s", c.Param.Code, c.Modifier)
	}
	return c.Param.Code
}

func tooManyClauses(name string) *errs.Error {
	return bound(name, "a search may have at most %d parameters (MaxClauses), counting each repeat", MaxClauses)
}
