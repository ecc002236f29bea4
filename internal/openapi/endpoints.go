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
	tag       string
	apiScope  string // the scope that opens the face: api:oemr or api:port
	prefix    string
	method    string
	path      string // below prefix, ServeMux pattern syntax
	summary   string
	scope     string // "" for a public route
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
			method: r.Method, path: r.Path, summary: r.Summary, scope: r.Scope(), query: r.Query,
			request: r.Request, multipart: r.Multipart, response: r.Response,
			list: r.List, binary: r.Binary, sortable: r.List, status: r.Status,
		})
	}
	for _, r := range portalapi.Routes() {
		out = append(out, endpoint{
			tag: TagPatient, apiScope: scope.APIPortal, prefix: portalapi.Prefix,
			method: r.Method, path: r.Path, summary: r.Summary, scope: r.Scope(), query: r.Query,
			response: r.Response, list: r.List, status: r.Status,
		})
	}
	return out
}
