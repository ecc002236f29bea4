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
	var b [16]byte
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

// plan resolves the parameters against the caller's rights.
func (s *Service) plan(r *http.Request, p *authz.Principal, level string, raw rawParams, lenient bool) (*jobSpec, error) {
	js := &jobSpec{Level: level}
	var problems errs.Multi
	bad := func(e *errs.Error) {
		if lenient {
			js.Warnings = append(js.Warnings, e.Error())
			return
		}
		problems = append(problems, e)
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !knownParams[name] {
			bad(errs.Field(name, "unknown or unsupported export parameter"))
		}
	}

	for _, f := range raw["_outputFormat"] {
		switch f {
		// "application/fhir ndjson" is the same sent with an unescaped "+"
		// in a query string.
		case "", "application/fhir+ndjson", "application/fhir ndjson", "application/ndjson", "ndjson":
		default:
			problems = append(problems, errs.Field("_outputFormat", "%q is not supported; use application/fhir+ndjson", f))
		}
	}
	if v := raw["_since"]; len(v) > 0 {
		// A "+" of a zone offset sent unescaped arrives as a space.
		t, ok := parseInstant(strings.ReplaceAll(v[len(v)-1], " ", "+"))
		switch {
		case !ok || len(v) > 1:
			problems = append(problems, errs.Field("_since", "must be one FHIR instant such as 2024-01-02T03:04:05Z"))
		case t.After(s.cfg.Now()):
			problems = append(problems, errs.Field("_since", "%s is in the future", v[0]))
		default:
			js.Since = t.UTC()
		}
	}
	for _, e := range raw.list("_elements") {
		if !validElement(e) {
			problems = append(problems, errs.Field("_elements", "%q is not an element name or Type.element", e))
			continue
		}
		js.Elements = append(js.Elements, e)
	}

	// Which types: those asked for, or every type the token may search.
	asked := raw.list("_type")
	var types []string
	for _, t := range asked {
		ct, ok := spec.CanonicalType(t)
		if !ok || !slices.Contains(exportable(levelSystem), ct) {
			bad(errs.Field("_type", "%q is not a resource type that can be exported", t))
			continue
		}
		if err := p.CanFHIR(ct, scope.Search); err != nil {
			return nil, err
		}
		if !slices.Contains(types, ct) {
			types = append(types, ct)
		}
	}
	if len(asked) == 0 {
		for _, t := range exportable(level) {
			if p.CanFHIR(t, scope.Search) == nil {
				types = append(types, t)
			}
		}
	}
	for _, v := range raw.list("includeAssociatedData") {
		switch v {
		case "LatestProvenanceResources", "RelevantProvenanceResources":
			// Provenance is then exported like any other type: as it was at
			// the transaction time, and in a Patient or Group export those
			// attesting the patients' records.
			if !slices.Contains(types, "Provenance") && p.CanFHIR("Provenance", scope.Search) == nil {
				types = append(types, "Provenance")
			}
		default:
			bad(errs.Field("includeAssociatedData", "%q is not supported", v))
		}
	}

	filters := map[string][]string{}
	for _, f := range raw["_typeFilter"] {
		t, q, ignored, err := parseTypeFilter(f, lenient)
		var e *errs.Error
		if errors.As(err, &e) {
			problems = append(problems, e)
			continue
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(types, t) {
			bad(errs.Field("_typeFilter", "%s is not among the exported types", t))
			continue
		}
		for _, name := range ignored {
			js.Warnings = append(js.Warnings, "_typeFilter "+f+": parameter "+name+" is not supported")
		}
		filters[t] = append(filters[t], q)
	}

	patients, confined, err := s.patients(r, p, level, raw)
	if e := (*errs.Error)(nil); errors.As(err, &e) && e.Kind == errs.Invalid {
		problems = append(problems, e)
	} else if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problems
	}
	js.Patients = patients
	for _, t := range types {
		tp := typePlan{Type: t, TypeFilters: filters[t]}
		if fs, unrestricted := p.Filters(t, scope.Search); !unrestricted {
			for _, f := range fs {
				tp.ScopeFilters = append(tp.ScopeFilters, f.Query)
			}
			if _, err := compileFilters(t, tp.ScopeFilters); err != nil {
				return nil, &errs.Error{Kind: errs.Forbidden, Message: "a granted scope filters " + t + " by an unsupported parameter", Err: err}
			}
		}
		tp.Confined = confined && inCompartment(t)
		if tp.Confined && t == "Provenance" {
			tp.Via = "target"
		}
		tp.Deleted = !js.Since.IsZero() && !tp.Confined && (level == levelSystem || inCompartment(t))
		js.Types = append(js.Types, tp)
	}
	if level == levelGroup {
		js.Group = r.PathValue("id")
	}
	return js, nil
}

// patients resolves whose compartments the export covers: a Group's
// members, the patient parameter, and a patient-context token's patient.
// confined is false when every patient's records are covered.
func (s *Service) patients(r *http.Request, p *authz.Principal, level string, raw rawParams) (ids []string, confined bool, err error) {
	var asked []string
	for _, ref := range raw.list("patient") {
		id := strings.TrimPrefix(ref, "Patient/")
		if !search.ValidID(id) {
			return nil, false, errs.Field("patient", "%q is not a Patient reference", ref)
		}
		asked = append(asked, id)
	}
	if level == levelSystem && len(raw["patient"]) > 0 {
		return nil, false, errs.Field("patient", "the patient parameter is for Patient and Group exports, not a system export")
	}
	if len(raw["patient"]) > 0 {
		ids, confined = asked, true
	}
	if level == levelGroup {
		members, err := s.groupMembers(r, p)
		if err != nil {
			return nil, false, err
		}
		if confined {
			ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(members, id) })
		} else {
			ids, confined = members, true
		}
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
