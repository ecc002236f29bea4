package fhirapi

import (
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
)

// confineLinks gates the far side of every chained parameter and _has of a
// search. The far resources are read only to filter the matches, but a
// filter answers questions about them (which practitioners performed an
// HIV test), so each link passes the gate a direct search of its type would:
// a type the caller may not search refuses the whole search with 403, a
// patient token's link into a compartment type sees only its own patient's
// records, and granular scope filters (patient/Observation.rs?category=…)
// restrict the link's resources as they would a direct search's matches.
func (req *request) confineLinks(clauses []search.Clause) error {
	return search.Links(clauses, func(l *search.Link) error {
		c, err := req.allowType(l.Type, scope.Search)
		if err != nil {
			return err
		}
		filters, err := req.scopeFiltersFor(l.Type, scope.Search)
		if err != nil {
			return err
		}
		l.Compartment, l.AnyOf = c, filters
		return nil
	})
}
