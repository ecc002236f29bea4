package fhirapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/store"
)

// capabilityStatement describes what this server really does, built from
// the same tables the search engine and the routes use: every resource type
// with the interactions routed above, and every search parameter the index
// holds. Nothing in it is written by hand per type.
func (h *Handler) capabilityStatement() ([]byte, error) {
	type param struct {
		Name          string `json:"name"`
		Definition    string `json:"definition,omitempty"`
		Type          string `json:"type"`
		Documentation string `json:"documentation,omitempty"`
	}
	type code struct {
		Code string `json:"code"`
	}
	type op struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
	}
	type resource struct {
		Type              string   `json:"type"`
		Profile           string   `json:"profile"`
		Interaction       []code   `json:"interaction"`
		Versioning        string   `json:"versioning"`
		ReadHistory       bool     `json:"readHistory"`
		UpdateCreate      bool     `json:"updateCreate"`
		ConditionalCreate bool     `json:"conditionalCreate"`
		ConditionalRead   string   `json:"conditionalRead"`
		ConditionalUpdate bool     `json:"conditionalUpdate"`
		ConditionalDelete string   `json:"conditionalDelete"`
		SearchInclude     []string `json:"searchInclude,omitempty"`
		SearchRevInclude  []string `json:"searchRevInclude,omitempty"`
		SearchParam       []param  `json:"searchParam,omitempty"`
		Operation         []op     `json:"operation,omitempty"`
	}
	interactions := []code{{"read"}, {"vread"}, {"update"}, {"delete"}, {"history-instance"}, {"history-type"}, {"create"}, {"search-type"}}
	var resources []resource
	for _, t := range spec.ResourceTypes() {
		r := resource{
			Type: t, Profile: "http://hl7.org/fhir/StructureDefinition/" + t,
			Interaction: interactions, Versioning: "versioned", ReadHistory: true, UpdateCreate: true,
			ConditionalRead: "not-supported", ConditionalDelete: "not-supported",
		}
		for _, p := range spec.SearchParams(t) {
			if !search.Searchable(p) {
				continue
			}
			r.SearchParam = append(r.SearchParam, param{Name: p.Code, Definition: p.URL, Type: p.Type.String(), Documentation: p.Description})
			if p.Type == spec.ParamReference {
				r.SearchInclude = append(r.SearchInclude, t+":"+p.Code)
			}
		}
		// Provenance:target is what US Core asks every profile to support.
		r.SearchRevInclude = []string{"Provenance:target"}
		for _, o := range append([]Operation{docrefOperation}, h.cfg.Operations...) {
			if o.Type == t {
				r.Operation = append(r.Operation, op{Name: o.Name, Definition: o.Definition})
			}
		}
		resources = append(resources, r)
	}
	var sysOps []op
	for _, o := range h.cfg.Operations {
		if o.Type == "" {
			sysOps = append(sysOps, op{Name: o.Name, Definition: o.Definition})
		}
	}
	security := map[string]any{
		"cors": true,
		"service": []any{map[string]any{
			"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}},
			"text":   "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
		}},
	}
	var uris []any
	for _, u := range []struct{ name, url string }{
		{"authorize", h.cfg.Security.Authorize}, {"token", h.cfg.Security.Token}, {"register", h.cfg.Security.Register},
		{"manage", h.cfg.Security.Manage}, {"introspect", h.cfg.Security.Introspect}, {"revoke", h.cfg.Security.Revoke},
	} {
		if u.url != "" {
			uris = append(uris, map[string]any{"url": u.name, "valueUri": u.url})
		}
	}
	if len(uris) > 0 {
		security["extension"] = []any{map[string]any{
			"url":       "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
			"extension": uris,
		}}
	}
	rest := map[string]any{
		"mode": "server",
		// R4 has no element that declares chaining or _has, so the
		// documentation says what searches take beyond the parameters.
		"documentation": searchDocumentation,
		"security":      security,
		"resource":      resources,
		"interaction":   []code{{"history-system"}},
	}
	if len(sysOps) > 0 {
		rest["operation"] = sysOps
	}
	version := h.cfg.Version
	if version == "" {
		version = "dev"
	}
	software := h.cfg.Software
	if software == "" {
		software = "emp"
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"id":           "emp",
		"url":          h.cfg.BaseURL + "/metadata",
		"version":      version,
		"name":         "EmpCapabilityStatement",
		"title":        "eMedicalPractice FHIR R4 server",
		"status":       "active",
		"experimental": false,
		"date":         store.FormatInstant(h.cfg.Now()),
		"publisher":    "eMedicalPractice",
		"kind":         "instance",
		"software":     map[string]any{"name": software, "version": version},
		"implementation": map[string]any{
			"description": "eMedicalPractice FHIR R4 API",
			"url":         h.cfg.BaseURL,
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json"},
		"rest":        []any{rest},
	}
	if len(h.cfg.Instantiates) > 0 {
		cs["instantiates"] = h.cfg.Instantiates
	}
	// history-system is not routed; declare only what is.
	delete(rest, "interaction")
	return json.Marshal(cs)
}

// searchDocumentation is what the CapabilityStatement says about search
// beyond its per-type parameters.
const searchDocumentation = "Search supports chained parameters on every reference search parameter " +
	"(subject:Patient.name=x, patient.identifier=system|value; at most 3 links and 10 target types), " +
	"reverse chaining with _has (_has:Observation:patient:code=x, nested at most twice), " +
	"_include:iterate and _revinclude:iterate (at most 3 rounds past the matches; not the * wildcard), and " +
	"composite parameters of two components, a token (or, for DocumentReference relationship, a reference) first, " +
	"matched on the same element (component-code-value-quantity=http://loinc.org|8480-6$ge140, " +
	"relationship=DocumentReference/123$replaces; \\$ escapes a $ in a value). " +
	"Every type a chain or include reaches is gated as a direct search or read of it by the same token."

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	if err := checkAccept(r); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(h.caps)))
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(h.caps)
}
