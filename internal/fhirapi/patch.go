package fhirapi

import (
	"io"
	"mime"
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/patch"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// patchByID serves PATCH [type]/[id].
func (h *Handler) patchByID(req *request) error {
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	return h.patch(req, id)
}

// patchBySearch serves PATCH [type]?[search]: the search must select
// exactly one resource the caller may update (none: 404, several: 412).
// It is gated as a search of the type, then as the update of the match.
func (h *Handler) patchBySearch(req *request) error {
	params := req.r.URL.Query()
	for _, k := range []string{"_format", "_pretty"} {
		params.Del(k)
	}
	if len(params) == 0 {
		return errs.E(errs.Invalid, "a conditional patch needs search parameters")
	}
	c, err := req.allow(scope.Search)
	if err != nil {
		return err
	}
	q, err := search.Parse(req.typ, params, search.Options{Local: h.local})
	if err != nil {
		return err
	}
	q.Compartment = c
	q.Count = 2
	if q.AnyOf, err = req.scopeFilters(scope.Search); err != nil {
		return err
	}
	if err := req.confineLinks(q.Clauses); err != nil {
		return err
	}
	res, err := h.cfg.Store.Search(req.ctx, q)
	if err != nil {
		return err
	}
	switch {
	case len(res.Resources) == 0:
		return errs.E(errs.NotFound, "no %s matches the search", req.typ)
	case len(res.Resources) > 1 || res.Next != "":
		return errs.E(errs.Precondition, "the search matches more than one %s", req.typ)
	}
	return h.patch(req, res.Resources[0].ID)
}

// patch applies a JSON Patch or FHIRPath Patch to the current version and
// writes the result as an update of that version: If-Match is checked
// against it, the result is validated as an update's body is, and
// store.Update is told the version read, so a change that lands in between
// is a 412 for the client to retry rather than a lost update.
func (h *Handler) patch(req *request, id string) error {
	c, err := req.allow(scope.Update)
	if err != nil {
		return err
	}
	format, body, err := h.readPatchBody(req)
	if err != nil {
		return err
	}
	// Read within the caller's compartment first: another patient's record
	// is a 404, as a read of it is, before any scope filter is consulted.
	// The read is of the version committed now (store.Latest), not a
	// cached or replicated one a moment behind another node's write.
	cur, err := h.cfg.Store.Read(store.Latest(req.ctx), req.typ, id, c)
	if err != nil {
		return err
	}
	if err := h.coveredBy(req, id, scope.Update); err != nil {
		return err
	}
	v, err := ifMatchVersion(req.r)
	if err != nil {
		return err
	}
	if v != 0 && v != cur.Version {
		return errs.E(errs.Precondition, "%s/%s is at version %d, not %d", req.typ, id, cur.Version, v)
	}
	out, err := h.patched(req, req.typ, cur, format, body)
	if err != nil {
		return err
	}
	res, _, err := h.cfg.Store.Update(req.ctx, req.typ, id, out, cur.Version, c)
	if err != nil {
		return err
	}
	h.answerWrite(req, http.StatusOK, res)
	return nil
}

// patched applies a patch in the format readPatchBody names ("json",
// "fhirpath") to cur, the current version of a resource of type rtype, and
// validates the result as an update's body is validated (the R4
// definitions, then the profiles the validate_profiles setting asks for).
// A patch may change neither the type nor the id.
func (h *Handler) patched(req *request, rtype string, cur *store.Resource, format string, body []byte) (fhirjson.Object, error) {
	obj, err := fhirjson.Decode(cur.Body)
	if err != nil {
		return nil, err
	}
	var out fhirjson.Object
	if format == "json" {
		out, err = patch.JSON(obj, body)
	} else {
		var params fhirjson.Object
		if params, err = fhirjson.Decode(body); err == nil {
			out, err = patch.FHIRPath(rtype, obj, params)
		}
	}
	if err != nil {
		return nil, err
	}
	if rt, _ := out["resourceType"].(string); rt != rtype {
		return nil, errs.Field("resourceType", "a patch cannot change the resource type")
	}
	if pid, _ := out["id"].(string); pid != cur.ID {
		return nil, errs.Field(rtype+".id", "a patch cannot change the id")
	}
	if err := validate.Resource(rtype, out); err != nil {
		return nil, err
	}
	if err := h.enforceProfiles(req.ctx, rtype, out); err != nil {
		return nil, err
	}
	return out, nil
}

// patchContentType is the media type of a patch in the format
// readPatchBody names, for a batch entry sent to the face as its own request.
func patchContentType(format string) string {
	if format == "json" {
		return jsonPatchType
	}
	return contentType
}

// jsonPatchType is the media type of a JSON Patch (RFC 6902).
const jsonPatchType = "application/json-patch+json"

// readPatchBody reads the body and says which patch format it is in.
func (h *Handler) readPatchBody(req *request) (format string, body []byte, err error) {
	mt, _, perr := mime.ParseMediaType(req.r.Header.Get("Content-Type"))
	switch {
	case perr != nil:
		return "", nil, errs.E(errs.Unsupported, "PATCH needs a Content-Type: application/json-patch+json or application/fhir+json (a FHIRPath Patch Parameters)")
	case mt == jsonPatchType:
		format = "json"
	case mt == "application/fhir+json" || mt == "application/json" || mt == "application/json+fhir":
		format = "fhirpath"
	default:
		return "", nil, errs.E(errs.Unsupported, "Content-Type %s is not a patch format: send application/json-patch+json or application/fhir+json", mt)
	}
	if req.r.ContentLength > h.cfg.MaxBody {
		return "", nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", h.cfg.MaxBody)
	}
	body, err = io.ReadAll(http.MaxBytesReader(req.w, req.r.Body, h.cfg.MaxBody))
	if err != nil {
		if httpx.IsTooLarge(err) {
			return "", nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", h.cfg.MaxBody)
		}
		return "", nil, &errs.Error{Kind: errs.Invalid, Message: "could not read the body", Err: err}
	}
	return format, body, nil
}

// coveredBy refuses an interaction on one resource that the caller's
// granular scopes for it (patient/Observation.u?category=vital-signs) do
// not cover, by the same search the filters use. The caller has read the
// resource within its compartment already.
func (h *Handler) coveredBy(req *request, id string, in scope.Interaction) error {
	groups, err := req.scopeFiltersFor(req.typ, in)
	if err != nil || groups == nil {
		return err
	}
	q := &search.Query{Type: req.typ, Count: 1, AnyOf: groups}
	q.Clauses = []search.Clause{{Param: mustParam(req.typ, "_id"), Values: []search.Value{{Code: id}}}}
	res, err := h.cfg.Store.Search(req.ctx, q)
	if err != nil {
		return err
	}
	if len(res.Resources) == 0 {
		return errs.E(errs.Forbidden, "the granted scopes cover only some %s resources, not this one", req.typ)
	}
	return nil
}
