package fhirapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

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
	interactions := []code{{"read"}, {"vread"}, {"update"}, {"delete"}, {"history-instance"}, {"history-type"}, {"create"}, {"search-type"}, {"patch"}}
	var resources []resource
	for _, t := range spec.ResourceTypes() {
		r := resource{
			Type: t, Profile: "http://hl7.org/fhir/StructureDefinition/" + t,
			Interaction: interactions, Versioning: "versioned", ReadHistory: true, UpdateCreate: true,
			// If-None-Match and If-Modified-Since both answer 304 on a
			// read (see notModified); If-None-Exist, PUT and DELETE by
			// search (conditional.go), a delete of up to
			// maxConditionalDelete matches.
			ConditionalRead: "full-support", ConditionalDelete: "multiple",
			ConditionalCreate: true, ConditionalUpdate: true,
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
		// $validate answers on every type (validate_op.go).
		r.Operation = []op{{Name: "validate", Definition: validateDefinition}}
		for _, o := range append(append([]Operation{docrefOperation, everythingOperation}, terminologyOperations...), h.cfg.Operations...) {
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
		"documentation": searchDocumentation + conditionalDocumentation + refusedDocumentation(),
		"security":      security,
		"resource":      resources,
		"interaction":   []code{{"transaction"}, {"batch"}, {"history-system"}},
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

// conditionalDocumentation says what the conditional read headers do,
// which conditionalRead's code alone does not.
const conditionalDocumentation = " Conditional read: If-None-Match naming the current version (W/\"3\") " +
	"or If-Modified-Since not before its last update (at the second) answers 304 with no body; " +
	"If-None-Match, when present, decides alone. _summary and _elements apply to read and vread (tagged SUBSETTED)."

// refusedDocumentation names the R4 search parameters that searches refuse
// (400 naming the parameter, or ignored with Prefer: handling=lenient),
// each with why, from the same test the parser applies (search.Searchable)
// and the parameter's published definition, so that nothing is silently
// unsupported.
func refusedDocumentation() string {
	var refused []string
	for _, t := range spec.ResourceTypes() {
		for _, p := range spec.SearchParams(t) {
			if !search.Searchable(p) {
				refused = append(refused, t+" "+p.Code+" ("+refusedWhy(p)+")")
			}
		}
	}
	if len(refused) == 0 {
		return ""
	}
	return " R4 search parameters refused with 400 naming the parameter: " + strings.Join(refused, "; ") + "."
}

// refusedWhy says why the engine cannot search by p, from its definition.
func refusedWhy(p *spec.SearchParam) string {
	x := p.Expression
	switch {
	case p.Type == spec.ParamSpecial:
		return "a special parameter, geographic distance, which R4 leaves to each server and this one does not compute"
	case p.Type == spec.ParamComposite:
		return "a composite of " + strconv.Itoa(len(p.Components)) + " components; composites of two are searched"
	case x == "":
		return "R4 publishes no expression for it"
	case strings.Contains(x, "exists()"):
		return "true or false by whether an element is present (" + x + "), which the index does not hold"
	case strings.Contains(x, ".resource"):
		return "searches the elements of a resource inside the Bundle (" + x + "), which the index does not hold"
	}
	return "its expression (" + x + ") selects no element the index holds"
}

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
