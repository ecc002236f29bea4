package fhirapi

import (
	"context"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/scope"
)

// compartmentKey carries a compartment search's patient and link base
// through the shared search code.
type compartmentKey struct{}

type compartmentSearch struct {
	patient  string
	linkBase string // [base]/Patient/[id]/[type]: where self and next links point
}

// compartmentSearch serves GET Patient/[id]/[type]?…: the search of [type]
// within the patient's compartment, by the compartment table (what
// [type]?patient=[id] means, for every type in or linked to the
// compartment). It is gated as that search of [type] is; a caller confined
// to another patient finds nothing there (404, as a read of the patient).
func (h *Handler) compartmentSearch(req *request) error {
	if req.typ != "Patient" {
		return errs.E(errs.NotFound, "compartment search is served for the Patient compartment only")
	}
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	ctype, ok := spec.CanonicalType(req.r.PathValue("ctype"))
	if !ok {
		return errs.E(errs.NotFound, "unknown resource type %q", req.r.PathValue("ctype"))
	}
	if spec.ConfinementOf(ctype) == spec.Shared {
		return errs.E(errs.NotFound, "%s is not in the Patient compartment", ctype)
	}
	req.typ = ctype
	c, err := req.allow(scope.Search)
	if err != nil {
		return err
	}
	if c.Restricted && c.Patient != id {
		return errs.E(errs.NotFound, "Patient/%s is not known", id)
	}
	req.ctx = context.WithValue(req.ctx, compartmentKey{}, compartmentSearch{patient: id, linkBase: h.cfg.BaseURL + "/Patient/" + id + "/" + ctype})
	req.r = req.r.WithContext(req.ctx)
	return h.search(req)
}

// inCompartment narrows a search's compartment to a compartment search's
// patient; the gate has checked that a confined caller asks for its own.
func (req *request) inCompartment(c search.Compartment) search.Compartment {
	if cs, ok := req.ctx.Value(compartmentKey{}).(compartmentSearch); ok {
		return search.Compartment{Restricted: true, Patient: cs.patient}
	}
	return c
}

// linkBase is where a search's self and next links point.
func (req *request) linkBase(base string) string {
	if cs, ok := req.ctx.Value(compartmentKey{}).(compartmentSearch); ok {
		return cs.linkBase
	}
	return base
}
