package fhirapi

import (
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/parameters"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
)

// docrefOperation is the US Core operation a CapabilityStatement names.
var docrefOperation = Operation{Type: "DocumentReference", Name: "docref",
	Definition: "http://hl7.org/fhir/us/core/OperationDefinition/docref"}

// ccdType is LOINC 34133-9, "Summarization of episode note": the document
// US Core's $docref returns when no parameter narrows the request.
const ccdType = "http://loinc.org|34133-9"

// docref serves DocumentReference/$docref (US Core Fetch DocumentReference):
// the patient's documents whose care period falls in [start, end] and whose
// type matches, as a searchset Bundle. Without start, end and type it
// returns the patient's most recent CCD. The parameters come from the query
// or, for POST, a Parameters resource. Documents are not generated on
// demand: on-demand=true is answered with what is stored.
//
// It is a search of DocumentReference under the caller's scopes (see
// allowDocref), so a patient token sees only its own patient's documents.
func (h *Handler) docref(req *request) error {
	if req.typ != "DocumentReference" {
		return errs.E(errs.NotFound, "$docref is an operation on DocumentReference")
	}
	c, filters, err := req.allowDocref()
	if err != nil {
		return err
	}
	in, err := h.operationParams(req)
	if err != nil {
		return err
	}
	patient := strings.TrimPrefix(in.Get("patient"), "Patient/")
	if patient == "" {
		return errs.Field("patient", "is required")
	}
	if !search.ValidID(patient) {
		return errs.Field("patient", "is not a Patient id: %q", in.Get("patient"))
	}
	for name := range in {
		switch name {
		case "patient", "start", "end", "type", "on-demand", "profile":
		default:
			return errs.Field(name, "is not a parameter of $docref")
		}
	}
	if v := in.Get("on-demand"); v != "" && v != "true" && v != "false" {
		return errs.Field("on-demand", "must be true or false")
	}
	params := url.Values{"patient": {patient}, "_sort": {"-date"}}
	start, end, typ := in.Get("start"), in.Get("end"), in.Get("type")
	if start != "" {
		if _, _, ok := search.DateRange(start); !ok {
			return errs.Field("start", "is not a date: %q", start)
		}
		// The care period must end on or after start...
		params.Add("period", "ge"+start)
	}
	if end != "" {
		if _, _, ok := search.DateRange(end); !ok {
			return errs.Field("end", "is not a date: %q", end)
		}
		// ...and begin on or before end.
		params.Add("period", "le"+end)
	}
	if typ != "" {
		params.Set("type", typ)
	}
	if start == "" && end == "" && typ == "" {
		params.Set("type", ccdType)
		params.Set("_count", "1")
	}
	q, err := search.Parse("DocumentReference", params, search.Options{})
	if err != nil {
		return err
	}
	q.Compartment, q.AnyOf = c, filters
	res, err := h.cfg.Store.Search(req.ctx, q)
	if err != nil {
		return err
	}
	return h.writeSearchset(req, q, params, res, nil)
}

// allowDocref lets $docref run under either grant the product's scope
// list names for it: a search of DocumentReference (DocumentReference.rs or
// .read, Document.read), with that grant's granular filters; or the
// operation scope DocumentReference.$docref, which allows this operation
// and nothing else, over the documents its context reaches (the token's
// patient's for a patient/ scope, whatever the user or backend may see for
// user/ and system/). Without either, the refusal is the search's, which
// names the scopes that would do.
func (req *request) allowDocref() (search.Compartment, [][]search.Clause, error) {
	c, err := req.allow(scope.Search)
	if err == nil {
		filters, err := req.scopeFilters(scope.Search)
		return c, filters, err
	}
	if errs.KindOf(err) != errs.Forbidden || req.caller.CanOperation("DocumentReference", "$docref") != nil {
		return search.Compartment{}, nil, err
	}
	if patient, restricted := req.caller.OperationPatientRestriction("DocumentReference", "$docref"); restricted {
		return search.Compartment{Restricted: true, Patient: patient}, nil, nil
	}
	return search.Compartment{}, nil, nil
}

// operationParams reads an operation's parameters: the query string, and
// for POST a Parameters resource of simple values.
func (h *Handler) operationParams(req *request) (url.Values, error) {
	in := req.r.URL.Query()
	if req.r.Method != "POST" {
		return in, nil
	}
	body, err := h.readBody(req)
	if err != nil {
		return nil, err
	}
	vals, err := parameters.Values(body)
	if err != nil {
		return nil, err
	}
	for k, v := range vals {
		in[k] = append(in[k], v...)
	}
	return in, nil
}
