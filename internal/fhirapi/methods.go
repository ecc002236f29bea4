package fhirapi

import (
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/spec"
)

// The routes name a method for every interaction. A path the face knows,
// asked with another method (PATCH, OPTIONS, POST on an instance…), is
// answered 405 with the methods it takes in Allow (RFC 9110 15.5.6), not
// 404: the resource exists, the interaction does not.

// allows lists the paths of the face with the methods their routes take
// (GET routes take HEAD too). A literal path (metadata, _history, _search,
// $docref) has the shape of a {type} or {id} route of other methods, which
// would take it: also lists those methods, refused by routes of their own.
var allows = []struct {
	path, allow string
	also        []string
}{
	{"/metadata", "GET, HEAD", []string{"POST"}},
	{"/{type}/_history", "GET, HEAD", []string{"PUT", "DELETE"}},
	{"/{type}/_search", "POST", []string{"GET", "PUT", "DELETE"}},
	{"/{type}/$docref", "GET, HEAD, POST", []string{"PUT", "DELETE"}},
	{"/{type}", "GET, HEAD, POST", nil},
	{"/{type}/{id}", "GET, HEAD, PUT, DELETE", nil},
	{"/{type}/{id}/_history", "GET, HEAD", nil},
	{"/{type}/{id}/_history/{vid}", "GET, HEAD", nil},
}

// literalAllow is the Allow of the literal paths, by their last segment.
var literalAllow = map[string]string{
	"metadata": "GET, HEAD", "_history": "GET, HEAD", "_search": "POST", "$docref": "GET, HEAD, POST",
}

// notAllowedRoutes registers the 405 answers. A pattern without a method
// is reached only when no route of its shape takes the request's method;
// the literal paths, which such a pattern also matches (PATCH
// /Patient/_history is /{type}/{id}), get their own Allow from
// literalAllow.
func (h *Handler) notAllowedRoutes(m *http.ServeMux) {
	for _, a := range allows {
		literal := "" // the wildcard a literal path may fill
		switch a.path {
		case "/{type}":
			literal = "type"
		case "/{type}/{id}":
			literal = "id"
		}
		fn := h.notAllowed(a.allow, literal)
		for _, method := range a.also {
			m.HandleFunc(method+" "+Prefix+a.path, fn)
		}
		if a.also == nil {
			m.HandleFunc(Prefix+a.path, fn)
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
