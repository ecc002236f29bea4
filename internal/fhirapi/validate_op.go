package fhirapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/fhir/profile"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/scope"
)

// SettingValidateProfiles is the site setting that makes writes conform to
// profiles: "off" (the default), "declared" (the profiles a resource
// names in meta.profile that this server knows) or "us-core" (those, and
// the US Core profile of the type when the resource declares none).
const SettingValidateProfiles = "validate_profiles"

// validateDefinition is the canonical OperationDefinition of $validate,
// which every type serves; the CapabilityStatement declares it on each.
const validateDefinition = "http://hl7.org/fhir/OperationDefinition/Resource-validate"

// validateOp serves $validate on a type or an instance: the resource (the
// body, or the Parameters' resource) is checked for structure, the core
// rules and the profiles asked for (profile in the query or the
// Parameters, else those it declares), and every finding is answered in an
// OperationOutcome with 200: errors, warnings (extensible and preferred
// bindings, warning invariants) and information (absent must-support
// elements). The caller needs the interaction the mode implies: create,
// update or delete, and read when no mode is given.
func (h *Handler) validateOp(req *request) error {
	body, err := h.readBody(req)
	if err != nil {
		return err
	}
	q := req.r.URL.Query()
	mode, profiles := q.Get("mode"), q["profile"]
	var obj fhirjson.Object
	if len(body) > 0 {
		if obj, err = fhirjson.Decode(body); err != nil {
			return err
		}
		if rt, _ := obj["resourceType"].(string); rt == "Parameters" && req.typ != "Parameters" {
			obj, mode, profiles, err = validateParameters(obj, mode, profiles)
			if err != nil {
				return err
			}
		}
	}
	in := scope.Read
	switch mode {
	case "":
	case "create":
		in = scope.Create
	case "update":
		in = scope.Update
	case "delete":
		in = scope.Delete
	default:
		return errs.Field("mode", "must be create, update or delete, got %q", mode)
	}
	if _, err := req.allow(in); err != nil {
		return err
	}
	if mode == "delete" {
		outcome.Write(req.w, http.StatusOK, outcome.Issue{Severity: "information", Code: "informational",
			Diagnostics: "no rule of this server forbids the delete"})
		return nil
	}
	if obj == nil {
		return errs.Field("resource", "a resource to validate is required")
	}
	if rt, _ := obj["resourceType"].(string); rt != req.typ {
		return errs.Field("resourceType", "the resource is a %q but the URL names %s", rt, req.typ)
	}
	if id := req.r.PathValue("id"); id != "" {
		if !search.ValidID(id) {
			return errs.Field("id", "not a valid resource id: %q", id)
		}
		if bodyID, _ := obj["id"].(string); bodyID != "" && bodyID != id {
			return errs.Field(req.typ+".id", "the body's id %q does not match the URL's %q", bodyID, id)
		}
	}
	issues, err := h.validateIssues(req.typ, obj, profiles)
	if err != nil {
		return err
	}
	if len(issues) == 0 {
		issues = append(issues, outcome.Issue{Severity: "information", Code: "informational", Diagnostics: "no issues found"})
	}
	outcome.Write(req.w, http.StatusOK, issues...)
	return nil
}

// validateParameters reads a Parameters body: the resource, mode and
// profiles (those of the query stay).
func validateParameters(p fhirjson.Object, mode string, profiles []string) (fhirjson.Object, string, []string, error) {
	var res fhirjson.Object
	params, _ := p["parameter"].([]any)
	for _, x := range params {
		m, _ := x.(map[string]any)
		switch m["name"] {
		case "resource":
			if r, ok := m["resource"].(map[string]any); ok {
				res = r
			}
		case "mode":
			if s, ok := m["valueCode"].(string); ok {
				mode = s
			}
		case "profile":
			for _, k := range []string{"valueUri", "valueCanonical"} {
				if s, ok := m[k].(string); ok {
					profiles = append(profiles, s)
				}
			}
		}
	}
	if res == nil && mode != "delete" {
		return nil, "", nil, errs.Field("Parameters.parameter", "a resource parameter is required")
	}
	return res, mode, profiles, nil
}

// validateIssues checks a resource and returns every finding as issues.
// Named profiles this server does not know are errors; declared ones are
// checked when known.
func (h *Handler) validateIssues(rtype string, obj fhirjson.Object, named []string) ([]outcome.Issue, error) {
	var issues []outcome.Issue
	if err := validate.Resource(rtype, obj); err != nil {
		var list errs.Multi
		if !errors.As(err, &list) {
			return nil, err
		}
		return outcome.IssuesOf(list), nil
	}
	ps := named
	if len(ps) == 0 {
		ps = declaredProfiles(obj)
	}
	for _, url := range ps {
		p, ok := h.profiles.Find(url)
		if !ok {
			if len(named) > 0 {
				issues = append(issues, outcome.Issue{Severity: "error", Code: "not-supported",
					Diagnostics: "unknown profile " + url})
			}
			continue
		}
		for _, is := range p.Check(obj) {
			code := "invariant"
			switch {
			case is.Severity == profile.Information:
				code = "informational"
			case is.Rule == "" && is.Severity == profile.Error:
				code = "structure"
			case is.Rule != "" && is.Rule[0] == 'h':
				code = "code-invalid"
			}
			issues = append(issues, outcome.Issue{Severity: is.Severity, Code: code,
				Diagnostics: is.Message, Expression: []string{is.Path}})
		}
	}
	return issues, nil
}

func declaredProfiles(obj fhirjson.Object) []string {
	meta, _ := obj["meta"].(map[string]any)
	list, _ := meta["profile"].([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// enforceProfiles applies validate_profiles to a resource of type rtype
// about to be written (structure already valid): the errors of the
// profiles the setting selects make the write fail with 400, naming path
// and rule. Every write path calls it: create, update, conditional
// writes, PATCH and each entry of a transaction or batch.
func (h *Handler) enforceProfiles(ctx context.Context, rtype string, obj fhirjson.Object) error {
	mode, err := h.cfg.Settings.Setting(ctx, SettingValidateProfiles)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		return err
	}
	var ps []*profile.Profile
	usCore := false
	switch mode {
	case "declared", "us-core":
		for _, url := range declaredProfiles(obj) {
			if p, ok := h.profiles.Find(url); ok {
				ps = append(ps, p)
				usCore = true
			}
		}
	default:
		return nil
	}
	if mode == "us-core" && !usCore {
		if p, ok := h.profiles.Default(rtype); ok {
			ps = append(ps, p)
		}
	}
	var list errs.Multi
	for _, p := range ps {
		for _, is := range p.Check(obj) {
			if is.Severity == profile.Error {
				list = append(list, errs.Field(is.Path, "%s", is.Message))
			}
		}
	}
	if len(list) > 0 {
		return list
	}
	return nil
}
