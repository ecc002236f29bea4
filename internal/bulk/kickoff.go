package bulk

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// kickoff starts an export at one level.
func (s *Service) kickoff(level string) http.HandlerFunc {
	return s.gate.Serve(func(req *gate.Request) error {
		w, r := req.W, req.R
		req.Audit = store.AuditEvent{Action: "export", Type: levelType(level), ResID: r.PathValue("id")}
		job, err := s.startJob(w, r, req.Caller, level)
		if err != nil {
			if errs.KindOf(err) == errs.TooMany {
				w.Header().Set("Retry-After", seconds(s.cfg.RetryAfter))
			}
			return err
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
		w.Header().Set("Content-Location", s.statusURL(job.ID))
		outcome.WriteInfo(w, http.StatusAccepted, "export "+job.ID+" accepted; poll the Content-Location URL for its status")
		return nil
	})
}

// clientOf is who owns a job: the token's client, or its subject for a
// token issued without a client id.
func clientOf(p *authz.Principal) string {
	if p.ClientID != "" {
		return p.ClientID
	}
	return p.Subject
}

// levelType is the resource type an export level's operation scope names.
func levelType(level string) string {
	switch level {
	case levelPatient:
		return "Patient"
	case levelGroup:
		return "Group"
	}
	return ""
}

// seconds formats a duration for Retry-After: whole seconds, at least one.
func seconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(d.Seconds()+0.5)))
}

// startJob checks the request and stores the job.
func (s *Service) startJob(w http.ResponseWriter, r *http.Request, p *authz.Principal, level string) (*store.BulkJob, error) {
	lenient, err := checkKickoffHeaders(r)
	if err != nil {
		return nil, err
	}
	if err := p.CanOperation(levelType(level), "$export"); err != nil {
		return nil, err
	}
	raw, err := readParams(w, r)
	if err != nil {
		return nil, err
	}
	js, err := s.plan(r, p, level, raw, lenient)
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	job := &store.BulkJob{ID: id, ClientID: clientOf(p), Owner: p.Subject, Patient: p.Patient, RequestURL: s.requestURL(r),
		Params: params, TransactionTime: now, Created: now}
	if err := s.cfg.Store.CreateBulkJob(r.Context(), job, s.cfg.MaxActivePerClient); err != nil {
		return nil, err
	}
	return job, nil
}

// requestURL is the kick-off URL for the manifest: the base URL's scheme
// and host with the request's path and query.
func (s *Service) requestURL(r *http.Request) string {
	base := s.cfg.BaseURL
	if i := strings.Index(base, "://"); i >= 0 {
		if j := strings.IndexByte(base[i+3:], '/'); j >= 0 {
			base = base[:i+3+j]
		}
	}
	return base + r.URL.RequestURI()
}

func (s *Service) newID() (string, error) {
	var b [jobIDBytes]byte
	if _, err := s.cfg.Rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// checkKickoffHeaders requires a FHIR JSON Accept (or none) and Prefer:
// respond-async, and reports Prefer: handling=lenient.
func checkKickoffHeaders(r *http.Request) (lenient bool, err error) {
	if accept := r.Header.Get("Accept"); accept != "" {
		ok := false
		for _, part := range strings.Split(accept, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && (mt == "application/fhir+json" || mt == "application/json" || mt == "*/*" || mt == "application/*") {
				ok = true
			}
		}
		if !ok {
			return false, &errs.Error{Kind: errs.Invalid, Field: "Accept", Message: "a kick-off must accept application/fhir+json"}
		}
	}
	async := false
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(part), " ", "")) {
			case "respond-async":
				async = true
			case "handling=lenient":
				lenient = true
			}
		}
	}
	if !async {
		return false, &errs.Error{Kind: errs.Invalid, Field: "Prefer", Message: "a kick-off needs the header Prefer: respond-async"}
	}
	return lenient, nil
}

// plan resolves the parameters against the caller's rights, in parts: the
// parameters that shape the output, the types exported, the _typeFilters
// on them, whose records (the level's part: every patient's for a system
// export, the patient parameter for a Patient export, the members for a
// Group), and then how each type is read at that level.
func (s *Service) plan(r *http.Request, p *authz.Principal, level string, raw rawParams, lenient bool) (*jobSpec, error) {
	pl := &planner{s: s, p: p, raw: raw, lenient: lenient, js: &jobSpec{Level: level}}
	pl.checkParams()
	pl.checkOutput()
	types, err := pl.types(level)
	if err != nil {
		return nil, err
	}
	filters, err := pl.typeFilters(types)
	if err != nil {
		return nil, err
	}
	patients, confined, err := s.patients(r, p, level, raw)
	if e := (*errs.Error)(nil); errors.As(err, &e) && e.Kind == errs.Invalid {
		pl.problems = append(pl.problems, e)
	} else if err != nil {
		return nil, err
	}
	if len(pl.problems) > 0 {
		return nil, pl.problems
	}
	js := pl.js
	js.Patients = patients
	for _, t := range types {
		tp, err := pl.typePlan(level, t, filters[t], confined)
		if err != nil {
			return nil, err
		}
		js.Types = append(js.Types, tp)
	}
	if level == levelGroup {
		js.Group = r.PathValue("id")
	}
	return js, nil
}

// planner is one kick-off's plan in the making: the problems found so far
// (all reported together) and the warnings of a lenient request.
type planner struct {
	s        *Service
	p        *authz.Principal
	raw      rawParams
	lenient  bool
	js       *jobSpec
	problems errs.Multi
}

// bad records a problem that Prefer: handling=lenient turns into a warning.
func (pl *planner) bad(e *errs.Error) {
	if pl.lenient {
		pl.js.Warnings = append(pl.js.Warnings, e.Error())
		return
	}
	pl.problems = append(pl.problems, e)
}

// checkParams reports the parameters the server does not know.
func (pl *planner) checkParams() {
	names := make([]string, 0, len(pl.raw))
	for name := range pl.raw {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !knownParams[name] {
			pl.bad(errs.Field(name, "unknown or unsupported export parameter"))
		}
	}
}

// checkOutput reads the parameters that shape the output: its format,
// _since and _elements.
func (pl *planner) checkOutput() {
	for _, f := range pl.raw["_outputFormat"] {
		switch f {
		// "application/fhir ndjson" is the same sent with an unescaped "+"
		// in a query string.
		case "", "application/fhir+ndjson", "application/fhir ndjson", "application/ndjson", "ndjson":
		default:
			pl.problems = append(pl.problems, errs.Field("_outputFormat", "%q is not supported; use application/fhir+ndjson", f))
		}
	}
	if v := pl.raw["_since"]; len(v) > 0 {
		// A "+" of a zone offset sent unescaped arrives as a space.
		t, ok := parseInstant(strings.ReplaceAll(v[len(v)-1], " ", "+"))
		switch {
		case !ok || len(v) > 1:
			pl.problems = append(pl.problems, errs.Field("_since", "must be one FHIR instant such as 2024-01-02T03:04:05Z"))
		case t.After(pl.s.cfg.Now()):
			pl.problems = append(pl.problems, errs.Field("_since", "%s is in the future", v[0]))
		default:
			pl.js.Since = t.UTC()
		}
	}
	for _, e := range pl.raw.list("_elements") {
		if !validElement(e) {
			pl.problems = append(pl.problems, errs.Field("_elements", "%q is not an element name or Type.element", e))
			continue
		}
		pl.js.Elements = append(pl.js.Elements, e)
	}
}

// types is which types are exported: those asked for, or every type of the
// level the token may search, and Provenance when associated data asks
// for it. A type asked for that the token may not search refuses the
// export.
func (pl *planner) types(level string) ([]string, error) {
	asked := pl.raw.list("_type")
	var types []string
	for _, t := range asked {
		ct, ok := spec.CanonicalType(t)
		if !ok || !slices.Contains(exportable(levelSystem), ct) {
			pl.bad(errs.Field("_type", "%q is not a resource type that can be exported", t))
			continue
		}
		if err := pl.p.CanFHIR(ct, scope.Search); err != nil {
			return nil, err
		}
		if !slices.Contains(types, ct) {
			types = append(types, ct)
		}
	}
	if len(asked) == 0 {
		for _, t := range exportable(level) {
			if pl.p.CanFHIR(t, scope.Search) == nil {
				types = append(types, t)
			}
		}
	}
	for _, v := range pl.raw.list("includeAssociatedData") {
		switch v {
		case "LatestProvenanceResources", "RelevantProvenanceResources":
			// Provenance is then exported like any other type: as it was at
			// the transaction time, and in a Patient or Group export those
			// attesting the patients' records.
			if !slices.Contains(types, "Provenance") && pl.p.CanFHIR("Provenance", scope.Search) == nil {
				types = append(types, "Provenance")
			}
		default:
			pl.bad(errs.Field("includeAssociatedData", "%q is not supported", v))
		}
	}
	return types, nil
}

// typeFilters reads the _typeFilter parameters, by type.
func (pl *planner) typeFilters(types []string) (map[string][]string, error) {
	filters := map[string][]string{}
	for _, f := range pl.raw["_typeFilter"] {
		t, q, ignored, err := parseTypeFilter(f, pl.lenient)
		var e *errs.Error
		if errors.As(err, &e) {
			pl.problems = append(pl.problems, e)
			continue
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(types, t) {
			pl.bad(errs.Field("_typeFilter", "%s is not among the exported types", t))
			continue
		}
		for _, name := range ignored {
			pl.js.Warnings = append(pl.js.Warnings, "_typeFilter "+f+": parameter "+name+" is not supported")
		}
		filters[t] = append(filters[t], q)
	}
	return filters, nil
}

// typePlan is how one type is read at the level: its filters (the
// request's and the token's granular scopes), whether it is confined to the
// patients' compartments, and whether a _since export lists its deletions
// (when it is not confined, at system level or for a compartment type).
func (pl *planner) typePlan(level, t string, typeFilters []string, confined bool) (typePlan, error) {
	tp := typePlan{Type: t, TypeFilters: typeFilters}
	if fs, unrestricted := pl.p.Filters(t, scope.Search); !unrestricted {
		for _, f := range fs {
			tp.ScopeFilters = append(tp.ScopeFilters, f.Query)
		}
		if _, err := compileFilters(t, tp.ScopeFilters); err != nil {
			return tp, &errs.Error{Kind: errs.Forbidden, Message: "a granted scope filters " + t + " by an unsupported parameter", Err: err}
		}
	}
	tp.Confined = confined && inCompartment(t)
	if tp.Confined && t == "Provenance" {
		tp.Via = "target"
	}
	tp.Deleted = !pl.js.Since.IsZero() && !tp.Confined && (level == levelSystem || inCompartment(t))
	return tp, nil
}

// patients resolves whose compartments the export covers, by level (a
// system export: everyone's; a Patient export: the patient parameter's;
// a Group export: the members, narrowed by the patient parameter), then
// narrowed to a patient-context token's patient. confined is false when
// every patient's records are covered.
func (s *Service) patients(r *http.Request, p *authz.Principal, level string, raw rawParams) (ids []string, confined bool, err error) {
	asked, err := askedPatients(raw)
	if err != nil {
		return nil, false, err
	}
	switch level {
	case levelSystem:
		if asked != nil {
			return nil, false, errs.Field("patient", "the patient parameter is for Patient and Group exports, not a system export")
		}
	case levelPatient:
		ids, confined = asked, asked != nil
	case levelGroup:
		if ids, err = s.groupPatients(r, p, asked); err != nil {
			return nil, false, err
		}
		confined = true
	}
	if pt, restricted := p.PatientRestriction(); restricted {
		if confined && !slices.Contains(ids, pt) {
			ids = nil
		} else {
			ids = []string{pt}
		}
		confined = true
	}
	if len(ids) > store.MaxExportPatients {
		return nil, false, errs.E(errs.Invalid, "an export may cover at most %d patients", store.MaxExportPatients)
	}
	return ids, confined, nil
}

// askedPatients is the patient parameter's ids; nil when it is absent, and
// empty (not nil) when it is present with no values.
func askedPatients(raw rawParams) ([]string, error) {
	if len(raw["patient"]) == 0 {
		return nil, nil
	}
	asked := []string{}
	for _, ref := range raw.list("patient") {
		id := strings.TrimPrefix(ref, "Patient/")
		if !search.ValidID(id) {
			return nil, errs.Field("patient", "%q is not a Patient reference", ref)
		}
		asked = append(asked, id)
	}
	return asked, nil
}

// groupPatients is a Group export's patients: the Group's active members,
// only those the patient parameter names when it is sent.
func (s *Service) groupPatients(r *http.Request, p *authz.Principal, asked []string) ([]string, error) {
	members, err := s.groupMembers(r, p)
	if err != nil {
		return nil, err
	}
	if asked == nil {
		return members, nil
	}
	return slices.DeleteFunc(asked, func(id string) bool { return !slices.Contains(members, id) }), nil
}

// groupMembers reads the Group the export names and lists its active
// Patient members.
func (s *Service) groupMembers(r *http.Request, p *authz.Principal) ([]string, error) {
	id := r.PathValue("id")
	if err := p.CanFHIR("Group", scope.Read); err != nil {
		return nil, err
	}
	res, err := s.cfg.Store.Read(r.Context(), "Group", id, search.Compartment{})
	if err != nil {
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Gone {
			return nil, errs.E(errs.NotFound, "Group/%s is not known", id)
		}
		return nil, err
	}
	g, err := fhirjson.Decode(res.Body)
	if err != nil {
		return nil, err
	}
	var out []string
	members, _ := g["member"].([]any)
	for _, m := range members {
		mm, _ := m.(map[string]any)
		if inactive, _ := mm["inactive"].(bool); inactive {
			continue
		}
		entity, _ := mm["entity"].(map[string]any)
		ref, _ := entity["reference"].(string)
		if pid, ok := strings.CutPrefix(ref, "Patient/"); ok && !slices.Contains(out, pid) {
			out = append(out, pid)
		}
	}
	return out, nil
}
