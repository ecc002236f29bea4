package fhirapi

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// The routes name a method for every interaction. A path the face knows,
// asked with another method (PATCH, OPTIONS, POST on an instance…), is
// answered 405 with the methods it takes in Allow (RFC 9110 15.5.6), not
// 404: the resource exists, the interaction does not.

// allows lists the paths of the face with the methods their routes take
// (GET routes take HEAD too).
var allows = []struct{ path, allow string }{
	{"", "POST"},     // the base: a transaction or batch Bundle
	{"/{$}", "POST"}, // the base with its trailing slash
	{"/metadata", "GET, HEAD"},
	{"/_history", "GET, HEAD"},
	{"/{type}/_history", "GET, HEAD"},
	{"/{type}/_search", "POST"},
	{"/{type}/$docref", "GET, HEAD, POST"},
	{"/{type}/$everything", "GET, HEAD"},
	{"/{type}/$validate", "POST"},
	{"/{type}/{id}/$validate", "POST"},
	{"/{type}/$expand", "GET, HEAD, POST"},
	{"/{type}/$validate-code", "GET, HEAD, POST"},
	{"/{type}/$lookup", "GET, HEAD, POST"},
	{"/{type}", "GET, HEAD, POST, PUT, DELETE, PATCH"},
	{"/{type}/{id}", "GET, HEAD, PUT, DELETE, PATCH"},
	{"/{type}/{id}/_history", "GET, HEAD"},
	{"/{type}/{id}/$everything", "GET, HEAD"},
	{"/{type}/{id}/$expand", "GET, HEAD, POST"},
	{"/{type}/{id}/$validate-code", "GET, HEAD, POST"},
	{"/{type}/{id}/{ctype}", "GET, HEAD"},
	{"/{type}/{id}/_history/{vid}", "GET, HEAD"},
}

// methods are those a 405 is answered for; any other gets the 404 of an
// unknown endpoint.
var methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}

// literalAllow is the Allow of the literal paths, by their last segment.
var literalAllow = map[string]string{
	"metadata": "GET, HEAD", "_history": "GET, HEAD", "_search": "POST", "$docref": "GET, HEAD, POST",
	"$everything": "GET, HEAD", "$validate": "POST", "$expand": "GET, HEAD, POST", "$validate-code": "GET, HEAD, POST", "$lookup": "GET, HEAD, POST",
}

// notAllowedRoutes registers the 405 answers: each path with each method
// its routes do not take. A literal path (PATCH /Patient/_history) has the
// shape of a {type} or {id} route of other methods, which would take it:
// its own Allow comes from literalAllow.
func (h *Handler) notAllowedRoutes(m *http.ServeMux) {
	for _, a := range allows {
		literal := "" // the wildcard a literal path may fill
		switch a.path {
		case "/{type}":
			literal = "type"
		case "/{type}/{id}", "/{type}/{id}/{ctype}":
			literal = "id"
		}
		fn := h.notAllowed(a.allow, literal)
		for _, method := range methods {
			if !strings.Contains(a.allow, method) {
				m.HandleFunc(method+" "+Prefix+a.path, fn)
			}
		}
	}
}

// notAllowed answers 405 on a path of a known resource type (or metadata)
// and 404 on any other.
func (h *Handler) notAllowed(pathAllow, literal string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allow := pathAllow
		if literal != "" {
			if a, ok := literalAllow[r.PathValue(literal)]; ok {
				allow = a
			}
		}
		if t := r.PathValue("type"); t != "" && !(literal == "type" && t == "metadata") {
			if _, ok := spec.CanonicalType(t); !ok {
				h.notFound(w, r)
				return
			}
		}
		w.Header().Set("Allow", allow)
		h.writeError(w, r, errs.E(errs.MethodNotAllowed, "%s is not supported here; this path takes %s", r.Method, allow))
	}
}
