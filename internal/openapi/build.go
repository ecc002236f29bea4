package openapi

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/scope"
)

// SecuritySchemeName is the OAuth2 scheme of the standard API's operations
// (staff: api:oemr and user/ scopes); PatientSchemeName that of the portal
// API's (a patient: api:port and patient/ scopes). Two schemes, so that
// Swagger UI's "select all" of one never mixes in the other's scopes: a
// clinician who selects all is not sent through a patient picker.
const (
	SecuritySchemeName = "smart"
	PatientSchemeName  = "smart_patient"
)

// Shared error responses, under components/responses.
const (
	respBadRequest   = "BadRequest"
	respUnauthorized = "Unauthorized"
	respForbidden    = "Forbidden"
	respNotFound     = "NotFound"
)

// Build generates the document for the configured site from both faces'
// route tables.
func Build(cfg Config) *Document {
	set := newSchemaSet()
	doc := &Document{
		OpenAPI: "3.1.0",
		Info: Info{
			Title:   "eMedicalPractice standard API and patient portal API",
			Version: cfg.Version,
			Description: "The practice's JSON API (`/api/`, also served at `/apis/default/api/`) and the patient " +
				"portal API (`/portal/`). Both read and write the same records as the FHIR R4 API. Every answer " +
				"has the envelope `{validationErrors, internalErrors, data, links}`. Lists page with `_limit` " +
				"(default 100, at most 500) and `_offset`, or `_cursor`; `links.next` continues a list. " +
				"Standard API tokens need the scope `api:oemr` and a `user/` scope for the record type; portal " +
				"tokens are a patient's, with `api:port` and `patient/` scopes.",
			License: License{Name: "Apache-2.0", Identifier: "Apache-2.0"},
		},
		Servers: []Server{{URL: serverURL(cfg.BaseURL)}},
		Tags: []Tag{
			{Name: TagStandard, Description: "The standard JSON API for the practice's staff and its apps (`/api/`)."},
			{Name: TagPatient, Description: "The patient portal API (`/portal/`): the signed-in patient's own records; the patient always comes from the token."},
		},
		Paths: map[string]*PathItem{},
	}
	common := func() map[string]string {
		return map[string]string{
			"openid":         "sign in: an id token names the user",
			"fhirUser":       "the id token names the user's FHIR resource",
			"offline_access": "a refresh token that outlives the sign-in",
		}
	}
	staffScopes, patientScopes := common(), common()
	staffScopes[scope.APIOEMR] = "use the standard API (/api/)"
	// A patient signs in as themselves: their record is the context, with
	// no launch/patient and no picker.
	patientScopes[scope.APIPortal] = "use the patient portal API (/portal/)"
	for _, e := range endpoints() {
		op := operation(set, e)
		if e.offered != "" {
			if e.apiScope == scope.APIPortal {
				patientScopes[e.offered] = scopeDescription(e.offered)
			} else {
				staffScopes[e.offered] = scopeDescription(e.offered)
			}
		}
		item := doc.Paths[e.fullPath()]
		if item == nil {
			item = &PathItem{}
			doc.Paths[e.fullPath()] = item
		}
		if slot := item.slot(e.method); slot != nil {
			*slot = op
		}
	}
	doc.Components = Components{
		Schemas:   set.named,
		Responses: errorResponses(set),
		SecuritySchemes: map[string]*SecurityScheme{
			SecuritySchemeName: {
				Type: "oauth2",
				Description: "For the practice's staff (the standard API): SMART on FHIR authorization code with PKCE (S256). " +
					"Ask for `api:oemr` and `user/*.rs` to read, `user/*.cud` to write (or, from another client, the " +
					"narrower `user/` scope each operation names). Swagger UI's client " +
					"is confidential: its id is filled in, and `emp serve --demo` prints its secret.",
				Flows: &OAuthFlows{AuthorizationCode: &OAuthFlow{
					AuthorizationURL: cfg.AuthorizeURL, TokenURL: cfg.TokenURL, RefreshURL: cfg.TokenURL, Scopes: staffScopes,
				}},
			},
			PatientSchemeName: {
				Type: "oauth2",
				Description: "For a patient (the portal API): sign in with a portal account and ask for `api:port` and the " +
					"`patient/` scopes of the operations you will call; the patient is the one who signed in.",
				Flows: &OAuthFlows{AuthorizationCode: &OAuthFlow{
					AuthorizationURL: cfg.AuthorizeURL, TokenURL: cfg.TokenURL, RefreshURL: cfg.TokenURL, Scopes: patientScopes,
				}},
			},
		},
	}
	return doc
}

// serverURL is the document's server: the site address, or the document's
// own origin when none is configured.
func serverURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	if base == "" {
		return "/"
	}
	return base
}

// scopeDescription says in words what a resource scope the dialog offers
// allows: a v1 scope on one record type, or a v2 wildcard on all of them.
func scopeDescription(s string) string {
	ctx, rest, _ := strings.Cut(s, "/")
	res, act, _ := strings.Cut(rest, ".")
	verb := "read"
	if act == "write" || act == "cud" {
		verb = "create, change and delete"
	}
	whose := "any patient's"
	if ctx == "patient" {
		whose = "the signed-in patient's"
	}
	if res == "*" {
		return fmt.Sprintf("%s %s records of every type", verb, whose)
	}
	return fmt.Sprintf("%s %s %s records", verb, whose, res)
}

// operation documents one route.
func operation(set *schemaSet, e endpoint) *Operation {
	op := &Operation{
		Tags:        []string{e.tag},
		Summary:     e.summary,
		OperationID: operationID(e),
		Responses:   map[string]*Response{},
		Security:    []map[string][]string{},
	}
	for _, name := range pathParams(e.path) {
		op.Parameters = append(op.Parameters, Parameter{Name: name, In: "path", Required: true,
			Description: pathParamDescription(e, name), Schema: &Schema{Type: "string"}})
	}
	for _, name := range e.query {
		op.Parameters = append(op.Parameters, Parameter{Name: name, In: "query",
			Description: "only records whose " + name + " matches", Schema: &Schema{Type: "string"}})
	}
	if e.list {
		op.Parameters = append(op.Parameters, pagingParams(e.sortable)...)
	}
	switch {
	case e.multipart:
		op.RequestBody = &RequestBody{Required: true, Content: map[string]*MediaType{
			"multipart/form-data": {Schema: &Schema{Type: "object", Required: []string{"document"},
				Properties: map[string]*Schema{"document": {Type: "string", Format: "binary", Description: "the file"}}}},
		}}
	case e.request != nil:
		op.RequestBody = &RequestBody{Required: true, Content: map[string]*MediaType{
			"application/json": {Schema: set.of(e.request)},
		}}
	}
	status := e.status
	if status == 0 {
		status = http.StatusOK
	}
	if e.binary {
		op.Responses[strconv.Itoa(status)] = &Response{Description: "the file as it was uploaded", Content: map[string]*MediaType{
			"application/octet-stream": {Schema: &Schema{Type: "string", Format: "binary"}},
		}}
	} else {
		op.Responses[strconv.Itoa(status)] = &Response{Description: successDescription(status, e.list),
			Content: map[string]*MediaType{"application/json": {Schema: successEnvelope(set, e)}}}
	}
	if op.RequestBody != nil || len(op.Parameters) > 0 {
		op.Responses["400"] = &Response{Ref: "#/components/responses/" + respBadRequest}
	}
	if e.scope != "" {
		scheme := SecuritySchemeName
		if e.apiScope == scope.APIPortal {
			scheme = PatientSchemeName
		}
		op.Security = []map[string][]string{{scheme: {e.apiScope, e.offered}}}
		op.Responses["401"] = &Response{Ref: "#/components/responses/" + respUnauthorized}
		op.Responses["403"] = &Response{Ref: "#/components/responses/" + respForbidden}
	}
	op.Responses["404"] = &Response{Ref: "#/components/responses/" + respNotFound}
	switch {
	case e.scope != "" && e.offered != e.scope:
		op.Description = "Needs the scopes `" + e.apiScope + "` and `" + e.scope + "`, or a wildcard covering it such as `" + e.offered + "`."
	case e.scope != "":
		op.Description = "Needs the scopes `" + e.apiScope + "` and `" + e.scope + "`."
	}
	return op
}

func successDescription(status int, list bool) string {
	switch {
	case status == http.StatusCreated:
		return "created; data holds the new record's ids"
	case list:
		return "the records (an empty list is [], not an error)"
	}
	return "the record"
}

// pathParams lists the {name} wildcards of a ServeMux pattern.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
			if name != "$" {
				out = append(out, name)
			}
		}
	}
	return out
}

func pathParamDescription(e endpoint, name string) string {
	if name == "list_name" {
		return "the list's name, one of: " + strings.Join(api.ListNames(), ", ")
	}
	return "the record's UUID, or its integer id where the original system used integers"
}

// operationID is a stable, unique name: method and path, e.g.
// get_api_patient_puuid.
func operationID(e endpoint) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(e.method))
	last := '_'
	b.WriteRune(last)
	for _, r := range e.fullPath() {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			last = r
		} else if last != '_' {
			b.WriteRune('_')
			last = '_'
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// pagingParams are the list parameters every list takes.
func pagingParams(sortable bool) []Parameter {
	one, zero, most := 1, 0, 500
	ps := []Parameter{
		{Name: "_limit", In: "query", Description: "records per page (default 100; a larger value is capped at 500)",
			Schema: &Schema{Type: "integer", Minimum: &one, Maximum: &most, Default: 100}},
		{Name: "_offset", In: "query", Description: "records to skip",
			Schema: &Schema{Type: "integer", Minimum: &zero, Default: 0}},
	}
	if sortable {
		ps = append(ps,
			Parameter{Name: "_cursor", In: "query", Description: "continue a list where the previous page ended (from links.next); instead of _offset",
				Schema: &Schema{Type: "string"}},
			Parameter{Name: "_sort", In: "query", Description: "comma-separated fields to sort by; a leading - sorts descending",
				Schema: &Schema{Type: "string"}})
	}
	return ps
}

// successEnvelope is the envelope of a successful answer, with data typed
// by the route.
func successEnvelope(set *schemaSet, e endpoint) *Schema {
	data := &Schema{}
	if e.response != nil {
		data = set.of(e.response)
	}
	if e.list {
		data = &Schema{Type: "array", Items: data}
	}
	empty := 0
	return &Schema{
		Type:     "object",
		Required: []string{"validationErrors", "internalErrors", "data", "links"},
		Properties: map[string]*Schema{
			"validationErrors": {Type: "array", MaxItems: &empty, Description: "always [] on success"},
			"internalErrors":   {Type: "array", MaxItems: &empty, Items: &Schema{Type: "string"}, Description: "always [] on success"},
			"data":             data,
			"links":            set.of(reflect.TypeFor[api.Links]()),
		},
	}
}

// errorResponses are the shared 400, 401, 403 and 404 answers.
func errorResponses(set *schemaSet) map[string]*Response {
	empty := 0
	envelope := &Schema{
		Type:     "object",
		Required: []string{"validationErrors", "internalErrors", "data", "links"},
		Properties: map[string]*Schema{
			"validationErrors": {Description: "on a 400, each bad field → the rule it failed → a message; [] otherwise",
				AnyOf: []*Schema{
					{Type: "array", MaxItems: &empty},
					{Type: "object", AdditionalProperties: &Schema{Type: "object", AdditionalProperties: &Schema{Type: "string"}}},
				},
				Example: map[string]any{"DOB": map[string]string{"date": "DOB must be a date (Y-m-d)"}}},
			"internalErrors": {Type: "array", Items: &Schema{Type: "string"}},
			"data":           {Description: "[] on an error"},
			"links":          set.of(reflect.TypeFor[api.Links]()),
			"message":        {Type: "string", Description: "why a 401, 403 or 404 was answered"},
		},
	}
	set.named["ErrorEnvelope"] = envelope
	ref := &Schema{Ref: refPrefix + "ErrorEnvelope"}
	mk := func(desc string) *Response {
		return &Response{Description: desc, Content: map[string]*MediaType{"application/json": {Schema: ref}}}
	}
	return map[string]*Response{
		respBadRequest:   mk("bad input: validationErrors names each field; nothing was written"),
		respUnauthorized: mk("no valid bearer token"),
		respForbidden:    mk("the token lacks the scope this operation needs, or is not for this face"),
		respNotFound:     mk("no such record (or not the token patient's), or the face is switched off"),
	}
}
