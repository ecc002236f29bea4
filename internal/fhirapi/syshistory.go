package fhirapi

import (
	"net/http"

	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// systemGated is gated for the interactions on the base itself (no type in
// the path): the gate authenticates and audits, and fn gates each type it
// touches.
func (h *Handler) systemGated(fn func(*request) error) http.HandlerFunc {
	return h.gate.Serve(func(g *gate.Request) error {
		patient, _ := g.Caller.PatientRestriction()
		g.Audit = store.AuditEvent{Patient: patient, Action: auditAction(g.R)}
		if err := refuseControls(g.R); err != nil {
			return err
		}
		return fn(&request{w: g.W, r: g.R, ctx: g.Context(), caller: g.Caller})
	})
}

// systemHistory serves GET [base]/_history: the changes of every type the
// caller may read and search, newest first. A type is in it as its type
// history would be: left out when the scopes do not grant it or grant it
// only through granular filters (old versions cannot be held to a filter
// the current one answers), and for a caller confined to a patient, the
// whole history is that patient's records only, across types.
func (h *Handler) systemHistory(req *request) error {
	q := store.HistoryQuery{Types: []string{}}
	confinedTo := ""
	for _, t := range spec.ResourceTypes() {
		c, err := req.allowType(t, scope.Read)
		if err != nil {
			continue
		}
		if c, err = req.allowType(t, scope.Search); err != nil {
			continue
		}
		if groups, err := req.scopeFiltersFor(t, scope.Search); err != nil || groups != nil {
			continue
		}
		if c.Restricted {
			confinedTo = c.Patient
		}
		q.Types = append(q.Types, t)
	}
	if patient, restricted := req.caller.PatientRestriction(); restricted {
		confinedTo = patient
	}
	if confinedTo != "" {
		q.Compartment.Restricted, q.Compartment.Patient = true, confinedTo
	}
	if len(q.Types) == len(spec.ResourceTypes()) {
		q.Types = nil
	}
	params := req.r.URL.Query()
	if err := parseHistoryParams(req, params, &q); err != nil {
		return err
	}
	page, err := h.cfg.Store.History(req.ctx, q)
	if err != nil {
		return err
	}
	return h.writeHistory(req, h.cfg.BaseURL+"/_history", params, page)
}
