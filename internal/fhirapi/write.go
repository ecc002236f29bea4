package fhirapi

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// decodeResource reads, parses and validates a request body as a resource
// of the request's type. Nothing is written when it fails.
func (h *Handler) decodeResource(req *request) (fhirjson.Object, error) {
	body, err := h.readBody(req)
	if err != nil {
		return nil, err
	}
	obj, err := fhirjson.Decode(body)
	if err != nil {
		return nil, err
	}
	if rt, _ := obj["resourceType"].(string); rt != req.typ {
		return nil, errs.Field("resourceType", "the body is a %q but the URL names %s", rt, req.typ)
	}
	if err := validate.Resource(req.typ, obj); err != nil {
		return nil, err
	}
	if err := h.enforceProfiles(req.ctx, req.typ, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func (h *Handler) create(req *request) error {
	c, err := req.allow(scope.Create)
	if err != nil {
		return err
	}
	obj, err := h.decodeResource(req)
	if err != nil {
		return err
	}
	// The server assigns ids on create; a client's id is ignored (FHIR
	// RESTful API, create).
	delete(obj, "id")
	if req.r.Header.Get("If-None-Exist") != "" {
		return h.conditionalCreate(req, c, obj)
	}
	res, err := h.cfg.Store.Create(req.ctx, req.typ, obj, c)
	if err != nil {
		return err
	}
	h.answerWrite(req, http.StatusCreated, res)
	return nil
}

func (h *Handler) update(req *request) error {
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	c, err := req.allow(scope.Update)
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersion(req.r)
	if err != nil {
		return err
	}
	obj, err := h.decodeResource(req)
	if err != nil {
		return err
	}
	bodyID, _ := obj["id"].(string)
	if bodyID == "" {
		return errs.Field(req.typ+".id", "the resource must carry its id on update")
	}
	if bodyID != id {
		return errs.Field(req.typ+".id", "the body's id %q does not match the URL's %q", bodyID, id)
	}
	res, created, err := h.cfg.Store.Update(req.ctx, req.typ, id, obj, ifMatch, c)
	if err != nil {
		return err
	}
	h.answerUpdate(req, created, res)
	return nil
}

func (h *Handler) delete(req *request) error {
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	c, err := req.allow(scope.Delete)
	if err != nil {
		return err
	}
	if err := h.cfg.Store.Delete(req.ctx, req.typ, id, c); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// answerUpdate answers an update: 201 when it created the resource (a PUT
// of a new or deleted id, a conditional update matching nothing), else 200.
func (h *Handler) answerUpdate(req *request, created bool, res *store.Resource) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	h.answerWrite(req, status, res)
}

// answerWrite answers a create or update as the client prefers
// (Prefer: return=minimal, representation or OperationOutcome).
func (h *Handler) answerWrite(req *request, status int, res *store.Resource) {
	req.w.Header().Set("Location", h.cfg.BaseURL+"/"+res.Type+"/"+res.ID+"/_history/"+itoa(res.Version))
	switch preferReturn(req.r) {
	case "minimal":
		setVersionHeaders(req.w, res)
		req.w.WriteHeader(status)
	case "OperationOutcome":
		setVersionHeaders(req.w, res)
		writeInfoOutcome(req.w, status, res.Type+"/"+res.ID+" stored as version "+itoa(res.Version))
	default:
		writeResource(req.w, status, res)
	}
}

func preferReturn(r *http.Request) string {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ";") {
			part = strings.TrimSpace(part)
			if rest, ok := strings.CutPrefix(part, "return="); ok {
				return strings.Trim(rest, `"`)
			}
		}
	}
	return ""
}

func preferLenient(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ";") {
			if strings.TrimSpace(part) == "handling=lenient" {
				return true
			}
		}
	}
	return false
}
