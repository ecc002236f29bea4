package fhirapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/fhir/terminology"
	"github.com/emedpractice/emp/internal/scope"
)

// The terminology operations ($expand, $validate-code, $lookup) answer from
// the code systems and value sets the R4 and US Core packages carry
// (package terminology), and expand ValueSets stored here by the same
// rules. Terminology is shared reference data: a read or search scope on
// ValueSet (or CodeSystem for $lookup) is enough, patient tokens included.

// terminologyOperations are declared in the CapabilityStatement.
var terminologyOperations = []Operation{
	{Type: "ValueSet", Name: "expand", Definition: "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"},
	{Type: "ValueSet", Name: "validate-code", Definition: "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"},
	{Type: "CodeSystem", Name: "lookup", Definition: "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"},
}

// maxExpansion caps the codes one $expand answer lists; total says how
// many there are, and offset pages through them.
const maxExpansion = 1000

// termParams are an operation's parameters: simple values by name, and the
// Codings given as coding or codeableConcept.
type termParams struct {
	vals     url.Values
	codings  []terminology.Coding
	valueSet json.RawMessage // a ValueSet given in the body (valueSet), to expand as it is
}

// allowTerminology admits a caller with a read or a search scope on the
// request's type.
func (req *request) allowTerminology(rtype string) error {
	if req.typ != rtype {
		return errs.E(errs.NotFound, "this operation is served on %s only", rtype)
	}
	if _, err := req.allow(scope.Read); err == nil {
		return nil
	}
	_, err := req.allow(scope.Search)
	return err
}

// expandOp serves ValueSet/$expand and ValueSet/{id}/$expand.
func (h *Handler) expandOp(req *request) error {
	if err := req.allowTerminology("ValueSet"); err != nil {
		return err
	}
	p, err := h.termParams(req, "url", "valueSetVersion", "filter", "offset", "count", "_format", "_pretty",
		"includeDesignations", "activeOnly", "displayLanguage", "excludeNested", "excludeNotForUI")
	if err != nil {
		return err
	}
	o := terminology.Options{Filter: p.vals.Get("filter"), DisplayLanguage: displayLanguage(req, p.vals)}
	if o.Offset, err = intParam(p.vals, "offset", 0); err != nil {
		return err
	}
	if o.Count, err = intParam(p.vals, "count", maxExpansion); err != nil {
		return err
	}
	o.Count = min(o.Count, maxExpansion)
	if o.ActiveOnly, err = boolParam(p.vals, "activeOnly"); err != nil {
		return err
	}
	if o.IncludeDesignations, err = boolParam(p.vals, "includeDesignations"); err != nil {
		return err
	}
	if o.ExcludeNotForUI, err = boolParam(p.vals, "excludeNotForUI"); err != nil {
		return err
	}
	// Flat unless nesting is asked for, as HAPI FHIR answers.
	flat := true
	if p.vals.Get("excludeNested") != "" {
		if flat, err = boolParam(p.vals, "excludeNested"); err != nil {
			return err
		}
	}
	head, codes, err := h.resolveValueSet(req, p)
	if err != nil {
		return h.termError(req, err)
	}
	total, page := terminology.Select(codes, o)
	// A tree only of the whole expansion: a page or a filter of it would
	// lose ancestors.
	flat = flat || o.Filter != "" || o.Offset > 0 || len(page) < total
	if !flat {
		tables, err := terminology.Builtin()
		if err != nil {
			return err
		}
		page = tables.Nest(page)
	}
	params := []map[string]any{}
	if o.Filter != "" {
		params = append(params, map[string]any{"name": "filter", "valueString": o.Filter})
	}
	if o.ActiveOnly {
		params = append(params, map[string]any{"name": "activeOnly", "valueBoolean": true})
	}
	if o.IncludeDesignations {
		params = append(params, map[string]any{"name": "includeDesignations", "valueBoolean": true})
	}
	if o.DisplayLanguage != "" {
		params = append(params, map[string]any{"name": "displayLanguage", "valueCode": o.DisplayLanguage})
	}
	if o.ExcludeNotForUI {
		params = append(params, map[string]any{"name": "excludeNotForUI", "valueBoolean": true})
	}
	params = append(params, map[string]any{"name": "excludeNested", "valueBoolean": flat})
	params = append(params, map[string]any{"name": "offset", "valueInteger": o.Offset}, map[string]any{"name": "count", "valueInteger": o.Count})
	out := map[string]any{"resourceType": "ValueSet", "status": "active"}
	for k, v := range head {
		if v != "" {
			out[k] = v
		}
	}
	out["expansion"] = map[string]any{
		"timestamp": h.cfg.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"total":     total, "offset": o.Offset, "parameter": params, "contains": page,
	}
	return writeJSON(req, out)
}

// displayLanguage is the language the displays are asked in: the
// displayLanguage parameter, else the first language of Accept-Language,
// as R4 says.
func displayLanguage(req *request, vals url.Values) string {
	if l := vals.Get("displayLanguage"); l != "" {
		return l
	}
	first, _, _ := strings.Cut(req.r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(first, ";")
	if first = strings.TrimSpace(first); first == "*" {
		return ""
	}
	return first
}

// validateCodeOp serves ValueSet/$validate-code and ValueSet/{id}/$validate-code.
func (h *Handler) validateCodeOp(req *request) error {
	if err := req.allowTerminology("ValueSet"); err != nil {
		return err
	}
	p, err := h.termParams(req, "url", "valueSetVersion", "code", "system", "systemVersion", "display", "_format", "_pretty",
		"abstract", "displayLanguage")
	if err != nil {
		return err
	}
	if code := p.vals.Get("code"); code != "" {
		p.codings = append(p.codings, terminology.Coding{System: p.vals.Get("system"), Version: p.vals.Get("systemVersion"),
			Code: code, Display: p.vals.Get("display")})
	}
	if len(p.codings) == 0 {
		return errs.Field("code", "give code (with system), coding or codeableConcept")
	}
	head, codes, err := h.resolveValueSet(req, p)
	if err != nil {
		return h.termError(req, err)
	}
	label := head["url"]
	if label == "" {
		label = "ValueSet/" + req.r.PathValue("id")
	}
	tables, err := terminology.Builtin()
	if err != nil {
		return err
	}
	abstract, err := boolParam(p.vals, "abstract")
	if err != nil {
		return err
	}
	v := tables.ValidateCodings(codes, label, p.codings, terminology.CodeOptions{DisplayLanguage: displayLanguage(req, p.vals), Abstract: abstract})
	out := []map[string]any{{"name": "result", "valueBoolean": v.Result}}
	if v.Message != "" {
		out = append(out, map[string]any{"name": "message", "valueString": v.Message})
	}
	if v.Display != "" {
		out = append(out, map[string]any{"name": "display", "valueString": v.Display})
	}
	return writeJSON(req, map[string]any{"resourceType": "Parameters", "parameter": out})
}

// lookupOp serves CodeSystem/$lookup.
func (h *Handler) lookupOp(req *request) error {
	if err := req.allowTerminology("CodeSystem"); err != nil {
		return err
	}
	p, err := h.termParams(req, "system", "code", "version", "date", "displayLanguage", "property", "_format", "_pretty")
	if err != nil {
		return err
	}
	system, code, version := p.vals.Get("system"), p.vals.Get("code"), p.vals.Get("version")
	if len(p.codings) > 0 {
		system, code = p.codings[0].System, p.codings[0].Code
		version = cmp.Or(p.codings[0].Version, version)
	}
	if system == "" || code == "" {
		return errs.Field("code", "give system and code, or coding")
	}
	tables, err := terminology.Builtin()
	if err != nil {
		return err
	}
	cs, c, err := tables.Lookup(system, code)
	if err != nil {
		return h.termError(req, err)
	}
	if v := version; v != "" && cs.Version != "" && v != cs.Version {
		return h.termError(req, &terminology.NotSupportedError{Reason: fmt.Sprintf(
			"the code system %s is known to this server in version %s, not %s", system, cs.Version, v)})
	}
	if c == nil {
		return errs.E(errs.NotFound, "the code %q is not in the code system %s", code, system)
	}
	name := cs.Name
	if name == "" {
		name = cs.Title
	}
	out := []map[string]any{{"name": "name", "valueString": name}}
	if cs.Version != "" {
		out = append(out, map[string]any{"name": "version", "valueString": cs.Version})
	}
	if d := terminology.DisplayIn(c.Display, c.Designations, displayLanguage(req, p.vals)); d != "" {
		out = append(out, map[string]any{"name": "display", "valueString": d})
	}
	for _, d := range c.Designations {
		part := []map[string]any{}
		if d.Language != "" {
			part = append(part, map[string]any{"name": "language", "valueCode": d.Language})
		}
		if d.Use != nil {
			part = append(part, map[string]any{"name": "use", "valueCoding": d.Use})
		}
		part = append(part, map[string]any{"name": "value", "valueString": d.Value})
		out = append(out, map[string]any{"name": "designation", "part": part})
	}
	if parent := cs.Parent(c); parent != "" {
		out = append(out, map[string]any{"name": "property", "part": []map[string]any{
			{"name": "code", "valueCode": "parent"}, {"name": "value", "valueCode": parent}}})
	}
	for _, flag := range []struct {
		name string
		set  bool
	}{{"inactive", c.Inactive}, {"notSelectable", c.Abstract}} {
		if flag.set {
			out = append(out, map[string]any{"name": "property", "part": []map[string]any{
				{"name": "code", "valueCode": flag.name}, {"name": "value", "valueBoolean": true}}})
		}
	}
	return writeJSON(req, map[string]any{"resourceType": "Parameters", "parameter": out})
}

// termError makes a value set or code system the server cannot serve an
// Unprocessable error (422, issue code not-supported: the request is
// understood, the terminology is not carried); other errors are as they
// are.
func (h *Handler) termError(req *request, err error) error {
	var ns *terminology.NotSupportedError
	if !errors.As(err, &ns) {
		return err
	}
	return &errs.Error{Kind: errs.Unprocessable, Message: ns.Reason}
}

// termParams reads the parameters of a terminology operation from the
// query and, for POST, a Parameters body (which may carry a coding or a
// codeableConcept). Unknown parameters are refused unless the client
// prefers lenient handling.
func (h *Handler) termParams(req *request, known ...string) (*termParams, error) {
	p := &termParams{vals: url.Values{}}
	for k, v := range req.r.URL.Query() {
		p.vals[k] = v
	}
	if v := p.vals.Get("coding"); v != "" {
		system, code, _ := strings.Cut(v, "|")
		p.codings = append(p.codings, terminology.Coding{System: system, Code: code})
		p.vals.Del("coding")
	}
	if req.r.Method == http.MethodPost {
		body, err := h.readBody(req)
		if err != nil {
			return nil, err
		}
		if err := p.readBody(body); err != nil {
			return nil, err
		}
	}
	for k := range p.vals {
		if !contains(known, k) && !preferLenient(req.r) {
			return nil, errs.Field(k, "unknown parameter for this operation")
		}
	}
	return p, nil
}

func (p *termParams) readBody(body []byte) error {
	var doc struct {
		ResourceType string `json:"resourceType"`
		Parameter    []struct {
			Name                 string
			ValueString          *string
			ValueUri             *string
			ValueCode            *string
			ValueCanonical       *string
			ValueBoolean         *bool
			ValueInteger         *int64
			ValueCoding          *terminology.Coding
			ValueCodeableConcept *struct{ Coding []terminology.Coding }
			Resource             json.RawMessage
		} `json:"parameter"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return errs.Field("Parameters", "the body is not valid JSON")
	}
	if doc.ResourceType != "Parameters" {
		return errs.Field("resourceType", "the body must be a Parameters resource")
	}
	for i, x := range doc.Parameter {
		switch {
		case x.Resource != nil && x.Name == "valueSet":
			p.valueSet = x.Resource
		case x.Resource != nil:
			return errs.Field(fmt.Sprintf("Parameters.parameter[%d]", i), "%s: only valueSet takes a resource", x.Name)
		case x.ValueCoding != nil:
			p.codings = append(p.codings, *x.ValueCoding)
		case x.ValueCodeableConcept != nil:
			p.codings = append(p.codings, x.ValueCodeableConcept.Coding...)
		case x.ValueBoolean != nil:
			p.vals.Add(x.Name, strconv.FormatBool(*x.ValueBoolean))
		case x.ValueInteger != nil:
			p.vals.Add(x.Name, strconv.FormatInt(*x.ValueInteger, 10))
		default:
			s := firstNonNil(x.ValueString, x.ValueUri, x.ValueCode, x.ValueCanonical)
			if s == nil {
				return errs.Field(fmt.Sprintf("Parameters.parameter[%d]", i), "%s has no value of a supported type", x.Name)
			}
			p.vals.Add(x.Name, *s)
		}
	}
	return nil
}

func firstNonNil(ss ...*string) *string {
	for _, s := range ss {
		if s != nil {
			return s
		}
	}
	return nil
}

func boolParam(vals url.Values, name string) (bool, error) {
	switch v := vals.Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, errs.Field(name, "must be true or false, got %q", v)
	}
}

func intParam(vals url.Values, name string, def int) (int, error) {
	v := vals.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errs.Field(name, "must be a non-negative integer, got %q", v)
	}
	return n, nil
}

// writeJSON answers 200 with a FHIR JSON body.
func writeJSON(req *request, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req.w.Header().Set("Content-Type", outcome.ContentType)
	req.w.WriteHeader(http.StatusOK)
	_, err = req.w.Write(body)
	return err
}
