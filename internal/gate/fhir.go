package gate

import (
	"net/url"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/scope"
)

// Access is the gate's decision for one FHIR interaction on one type:
// the compartment the caller is confined to and the granular scope filters
// (clause groups, any one of which a resource must match; nil means no
// restriction).
type Access struct {
	Compartment search.Compartment
	Filters     [][]search.Clause
}

// DecideFHIR is Allow and ScopeFilters together: what a new path that
// performs one FHIR interaction (a Bundle entry, an operation's read)
// asks before it touches the store, exactly as a REST request would.
func DecideFHIR(p *authz.Principal, rtype string, in scope.Interaction) (Access, error) {
	c, err := Allow(p, rtype, in)
	if err != nil {
		return Access{}, err
	}
	f, err := ScopeFilters(p, rtype, in)
	if err != nil {
		return Access{}, err
	}
	return Access{Compartment: c, Filters: f}, nil
}

// Allow asks whether the caller may perform in on rtype, and returns the
// compartment the caller is confined to.
//
// A patient-context token is confined to its patient's records in every
// type that can hold them (spec.ConfinementOf): the compartment's types by
// the compartment, and the Linked types outside it (Device, Binary,
// Bundle…) by the references that tie them to patients. Shared types
// (Practitioner, Organization, Location, Medication, …) hold no patient's
// data and are what a patient's records refer to: they stay readable when
// the scopes allow, and patient scopes never write them.
func Allow(p *authz.Principal, rtype string, in scope.Interaction) (search.Compartment, error) {
	if err := p.CanFHIR(rtype, in); err != nil {
		return search.Compartment{}, err
	}
	patient, restricted := p.PatientRestrictionFor(rtype, in)
	if !restricted {
		return search.Compartment{}, nil
	}
	if spec.ConfinementOf(rtype) == spec.Shared {
		if in == scope.Create || in == scope.Update || in == scope.Delete {
			return search.Compartment{}, errs.E(errs.Forbidden, "a %s is shared by all patients and cannot be written with patient scopes", rtype)
		}
		return search.Compartment{}, nil
	}
	return search.Compartment{Restricted: true, Patient: patient}, nil
}

// ScopeFilters turns the caller's granular SMART v2 scopes for the type
// (patient/Observation.rs?category=laboratory) into search clause groups,
// any one of which a resource must match. nil means no restriction.
func ScopeFilters(p *authz.Principal, rtype string, in scope.Interaction) ([][]search.Clause, error) {
	filters, unrestricted := p.Filters(rtype, in)
	if unrestricted {
		return nil, nil
	}
	groups := make([][]search.Clause, 0, len(filters))
	for _, f := range filters {
		values, err := url.ParseQuery(f.Query)
		if err != nil {
			return nil, &errs.Error{Kind: errs.Forbidden, Message: "a granted scope has a malformed filter", Err: err}
		}
		q, err := search.Parse(rtype, values, search.Options{})
		if err != nil {
			return nil, &errs.Error{Kind: errs.Forbidden, Message: "a granted scope filters by an unsupported parameter", Err: err}
		}
		// A filter that reads other types would need their gates too;
		// scopes do not grant such filters.
		for i := range q.Clauses {
			if q.Clauses[i].Chained() {
				return nil, errs.E(errs.Forbidden, "a granted scope filters by a chained parameter or _has, which is not supported")
			}
		}
		groups = append(groups, q.Clauses)
	}
	return groups, nil
}
