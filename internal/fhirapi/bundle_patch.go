package fhirapi

import (
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/store"
)

// parsePatch reads a PATCH entry's resource (R4 http.html, "Patch" in
// transactions): a Binary whose contentType is application/json-patch+json
// and whose data is the JSON Patch, base64-encoded; or a Parameters
// resource, a FHIRPath Patch.
func (e *entry) parsePatch(obj map[string]any) error {
	res, _ := obj["resource"].(map[string]any)
	switch rt, _ := res["resourceType"].(string); rt {
	case "Binary":
		ct, _ := res["contentType"].(string)
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != jsonPatchType {
			return errs.Field(e.field("resource.contentType"), "a PATCH entry's Binary holds a JSON Patch (%s), not %q", jsonPatchType, ct)
		}
		data, _ := res["data"].(string)
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(data), ""))
		if err != nil || len(b) == 0 {
			return errs.Field(e.field("resource.data"), "must be the JSON Patch, base64-encoded")
		}
		e.patchFormat, e.patch = "json", b
	case "Parameters":
		b, err := fhirjson.Encode(res)
		if err != nil {
			return err
		}
		e.patchFormat, e.patch = "fhirpath", b
	default:
		return errs.Field(e.field("resource"), "a PATCH entry's resource is a Binary holding a JSON Patch (%s) or a Parameters holding a FHIRPath Patch, not %q", jsonPatchType, rt)
	}
	return nil
}

// patchInTx applies a transaction's PATCH entry to the resource it claimed
// (by id, or the one its search matched), as PATCH [type]/[id] would: the
// current version read within the caller's compartment, ifMatch checked
// against it, the caller's granular update scopes covering the version it
// replaces and the one it writes, the result validated as an update's
// body. References in the result that name entries of the Bundle (a patch
// adding "urn:uuid:…") point at them, as in the other entries.
func (h *Handler) patchInTx(req *request, t *store.Tx, te *txEntry, refs refRewriter) error {
	_, id, _ := strings.Cut(te.target, "/")
	cur, err := t.Read(te.rtype, id, te.c)
	if err != nil {
		return entryErr(te.entry, err)
	}
	if te.ifMatch != 0 && te.ifMatch != cur.Version {
		return entryErr(te.entry, errs.E(errs.Precondition, "ifMatch names version %d but %s/%s is at version %d", te.ifMatch, te.rtype, id, cur.Version))
	}
	if err := h.checkFilters(t, te, id); err != nil {
		return entryErr(te.entry, err)
	}
	out, err := h.patched(req, te.rtype, cur, te.patchFormat, te.patch)
	if err != nil {
		return entryErr(te.entry, patchErrAt(err))
	}
	if err := refs.walk(out, te.field("resource")); err != nil {
		return entryErr(te.entry, err)
	}
	if te.out, _, err = t.Update(te.rtype, id, out, cur.Version, false, te.c); err != nil {
		return entryErr(te.entry, err)
	}
	te.status = http.StatusOK
	// The version written must be within the caller's filters too.
	if err := h.checkFilters(t, te, id); err != nil {
		return entryErr(te.entry, err)
	}
	return nil
}

// patchErrAt names, in the error of a patch that could not be applied, the
// operation that failed where the entry holds it: in the Binary's data for
// a JSON Patch ([n], the operation's index), in the Parameters for a
// FHIRPath Patch. Other errors (the result's validation) pass unchanged.
func patchErrAt(err error) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err
	}
	cp := *e
	switch {
	case strings.HasPrefix(e.Field, "["):
		cp.Field = "resource.data" + e.Field
	case strings.HasPrefix(e.Field, "Parameters."):
		cp.Field = "resource." + strings.TrimPrefix(e.Field, "Parameters.")
	default:
		return err
	}
	return &cp
}
