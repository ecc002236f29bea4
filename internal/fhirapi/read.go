package fhirapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

func (h *Handler) read(req *request) error {
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	c, err := req.allow(scope.Read)
	if err != nil {
		return err
	}
	res, err := h.cfg.Store.Read(req.ctx, req.typ, id, c)
	if err != nil {
		return err
	}
	if err := h.checkGranular(req, id); err != nil {
		return err
	}
	if notModified(req.r, res) {
		setVersionHeaders(req.w, res)
		req.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return h.writeShown(req, res)
}

// notModified reports whether the client's copy is current: If-None-Match
// names the version, or, without If-None-Match (RFC 9110 13.1.3),
// If-Modified-Since is not before the last update, compared at the
// second, which is what Last-Modified says.
func notModified(r *http.Request, res *store.Resource) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return etagMatches(inm, res.Version)
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false // an unreadable date is ignored, as RFC 9110 says
	}
	return !res.Updated.Truncate(time.Second).After(t)
}

// readShape parses the _summary and _elements a read or vread may carry
// (R4 3.1.0.1.7 and search.html: "_summary and _elements apply to read");
// other parameters of a read are ignored. _summary=count has no meaning for
// one resource and is refused.
func readShape(r *http.Request) (*search.Query, error) {
	v := r.URL.Query()
	shape := url.Values{}
	for _, name := range []string{"_summary", "_elements"} {
		if x, ok := v[name]; ok {
			shape[name] = x
		}
	}
	if len(shape) == 0 {
		return nil, nil
	}
	if s := shape.Get("_summary"); s == "count" {
		return nil, errs.Field("_summary", "_summary=count applies to searches, not to a read")
	}
	q, err := search.Parse("Patient", shape, search.Options{})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// writeShown writes a resource read for the caller, trimmed as shown says
// and subsetted as _summary and _elements ask (tagged SUBSETTED).
func (h *Handler) writeShown(req *request, res *store.Resource) error {
	shape, err := readShape(req.r)
	if err != nil {
		return err
	}
	body, err := h.shown(req, res.Type, res.Body)
	if err != nil {
		return err
	}
	if shape != nil {
		if body, err = subset(body, shape); err != nil {
			return err
		}
	}
	if len(body) != len(res.Body) {
		cp := *res
		cp.Body = body
		res = &cp
	}
	writeResource(req.w, http.StatusOK, res)
	return nil
}

func (h *Handler) vread(req *request) error {
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	vid, err := strconv.ParseInt(req.r.PathValue("vid"), 10, 64)
	if err != nil || vid < 1 {
		return errs.Field("vid", "not a version id: %q", req.r.PathValue("vid"))
	}
	c, err := req.allow(scope.Read)
	if err != nil {
		return err
	}
	res, err := h.cfg.Store.ReadVersion(req.ctx, req.typ, id, vid, c)
	if err != nil {
		return err
	}
	if err := h.checkGranular(req, id); err != nil {
		return err
	}
	return h.writeShown(req, res)
}

// checkGranular refuses a read that granular scopes do not cover: the
// resource must match one of the scope's filters, checked by the same search
// the filters use.
func (h *Handler) checkGranular(req *request, id string) error {
	groups, err := req.scopeFilters(scope.Read)
	if err != nil || groups == nil {
		return err
	}
	q := &search.Query{Type: req.typ, Count: 1, AnyOf: groups}
	idParam := mustParam(req.typ, "_id")
	q.Clauses = []search.Clause{{Param: idParam, Values: []search.Value{{Code: id}}}}
	res, err := h.cfg.Store.Search(req.ctx, q)
	if err != nil {
		return err
	}
	if len(res.Resources) == 0 {
		return errs.E(errs.Forbidden, "the granted scopes cover only some %s resources, not this one", req.typ)
	}
	return nil
}

func setVersionHeaders(w http.ResponseWriter, res *store.Resource) {
	h := w.Header()
	h["Etag"] = []string{res.ETag()}
	h["Last-Modified"] = []string{res.LastModified()}
}

// contentTypeValue is the Content-Type of every FHIR answer, shared by the
// reads (the hottest path) rather than allocated for each; net/http only
// reads it.
var contentTypeValue = []string{contentType}

// writeResource serves the stored bytes as they are: no decode, no encode.
func writeResource(w http.ResponseWriter, status int, res *store.Resource) {
	setVersionHeaders(w, res)
	h := w.Header()
	h["Content-Type"] = contentTypeValue[:1:1]
	h["Content-Length"] = []string{strconv.Itoa(len(res.Body))}
	w.WriteHeader(status)
	w.Write(res.Body)
}

// etagMatches reports whether an If-None-Match or If-Match value names the
// version (W/"3", "3" or *).
func etagMatches(header string, version int64) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		if v, ok := parseETag(tag); ok && v == version {
			return true
		}
	}
	return false
}

// ifMatchVersion is the version an If-Match header names, 0 without one.
func ifMatchVersion(r *http.Request) (int64, error) {
	im := r.Header.Get("If-Match")
	if im == "" {
		return 0, nil
	}
	v, ok := parseETag(im)
	if !ok {
		return 0, errs.Field("If-Match", "not a version tag: %q (expected W/\"n\")", im)
	}
	return v, nil
}

func parseETag(tag string) (int64, bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
	tag = strings.Trim(tag, `"`)
	v, err := strconv.ParseInt(tag, 10, 64)
	return v, err == nil && v > 0
}
