package fhirapi

import (
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
)

// allow asks the gate whether the caller may perform in on the request's
// type, and returns the compartment the caller is confined to (see
// gate.Allow).
func (req *request) allow(in scope.Interaction) (search.Compartment, error) {
	return gate.Allow(req.caller, req.typ, in)
}

// allowType is allow for another type the request reaches (a chain's link).
func (req *request) allowType(rtype string, in scope.Interaction) (search.Compartment, error) {
	return gate.Allow(req.caller, rtype, in)
}

// allowFor is allowType for resources a search adds on its own
// (_include, _revinclude): ok is false when the caller may not see the type.
func (req *request) allowFor(rtype string, in scope.Interaction) (search.Compartment, bool) {
	c, err := gate.Allow(req.caller, rtype, in)
	return c, err == nil
}

// scopeFilters is the caller's granular scope filters for the request's
// type (see gate.ScopeFilters).
func (req *request) scopeFilters(in scope.Interaction) ([][]search.Clause, error) {
	return gate.ScopeFilters(req.caller, req.typ, in)
}

func (req *request) scopeFiltersFor(rtype string, in scope.Interaction) ([][]search.Clause, error) {
	return gate.ScopeFilters(req.caller, rtype, in)
}
