package openapi

import (
	"reflect"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/portalapi"
	"github.com/emedpractice/emp/internal/scope"
)

// Tags of the two sections, named as the original system's documentation
// names them so that its users find their way.
const (
	TagStandard = "standard"
	TagPatient  = "standard-patient"
)

// endpoint is a route of either face in one shape: the two route tables
// differ only in what the portal does not have (bodies, binary answers).
type endpoint struct {
	tag      string
	apiScope string // the scope that opens the face: api:oemr or api:port
	prefix   string
	method   string
	path     string // below prefix, ServeMux pattern syntax
	summary  string
	scope    string // "" for a public route
	// offered is the scope the Authorize dialog offers that grants the
	// route: scope itself, or for the standard API the wildcard covering
	// it (user/*.rs, user/*.cud), so that the dialog lists a handful of
	// scopes rather than one per record type and access.
	offered   string
	query     []string
	request   reflect.Type
	multipart bool
	response  reflect.Type
	list      bool
	binary    bool
	sortable  bool // lists of the standard API take _sort
	status    int
}

// fullPath is the path as a client writes it, e.g. /api/patient/{puuid}.
func (e endpoint) fullPath() string { return e.prefix + e.path }

// endpoints gathers both faces' route tables.
func endpoints() []endpoint {
	var out []endpoint
	for _, r := range api.Routes() {
		out = append(out, endpoint{
			tag: TagStandard, apiScope: scope.APIOEMR, prefix: api.Prefix,
			method: r.Method, path: r.Path, summary: r.Summary, scope: r.Scope(), offered: wildcardOf(r.Scope()), query: r.Query,
			request: r.Request, multipart: r.Multipart, response: r.Response,
			list: r.List, binary: r.Binary, sortable: r.List, status: r.Status,
		})
	}
	for _, r := range portalapi.Routes() {
		out = append(out, endpoint{
			tag: TagPatient, apiScope: scope.APIPortal, prefix: portalapi.Prefix,
			method: r.Method, path: r.Path, summary: r.Summary, scope: r.Scope(), offered: r.Scope(), query: r.Query,
			response: r.Response, list: r.List, status: r.Status,
		})
	}
	return out
}

// wildcardOf is the SMART v2 wildcard granting what a resource scope
// grants on every record type: user/patient.read gives user/*.rs,
// user/patient.write user/*.cud. "" stays "" (a public route).
func wildcardOf(s string) string {
	if s == "" {
		return ""
	}
	sc, err := scope.Parse(s)
	if err != nil {
		return s // offered as it is (the document test parses every route's scope)
	}
	sc = sc.V2()
	sc.Resource = "*"
	return sc.String()
}
