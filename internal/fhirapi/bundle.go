package fhirapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/outcome"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// DefaultMaxBundleEntries is how many entries a transaction or batch may
// hold unless configured otherwise.
const DefaultMaxBundleEntries = 10000

// entry is one entry of a transaction or batch Bundle, as read from it.
type entry struct {
	index   int
	method  string // GET, POST, PUT, PATCH, DELETE
	path    string // request.url without the query: Type, Type/id, Type/id/_history/v
	query   string // request.url's query, raw
	rtype   string
	id      string
	fullURL string
	res     fhirjson.Object
	// A PATCH entry's patch: its format ("json" for a JSON Patch, "fhirpath"
	// for a FHIRPath Patch Parameters, as readPatchBody names them) and
	// its bytes.
	patchFormat string
	patch       []byte

	ifMatch         int64
	ifNoneMatch     string
	ifNoneExist     string
	ifModifiedSince string

	// The answer.
	status   int
	out      *store.Resource
	location string
	etag     string
	modified string
	body     []byte // a resource or OperationOutcome to include
	outcome  bool   // body is an OperationOutcome
}

// field names a part of the entry in an error's expression.
func (e *entry) field(rest string) string {
	f := "Bundle.entry[" + strconv.Itoa(e.index) + "]"
	if rest != "" {
		f += "." + rest
	}
	return f
}

// entryErr names the entry in err: each error's expression is moved under
// Bundle.entry[i] (the resource's own paths under .resource), and its
// message says which entry failed. The kind, and so the status, is kept.
func entryErr(e *entry, err error) error {
	var multi errs.Multi
	var one *errs.Error
	var list []*errs.Error
	switch {
	case errors.As(err, &multi):
		list = multi
	case errors.As(err, &one):
		list = []*errs.Error{one}
	default:
		return err // internal: logged, answered 500
	}
	out := make(errs.Multi, len(list))
	for i, x := range list {
		cp := *x
		switch f := x.Field; {
		case strings.HasPrefix(f, "Bundle."):
		case f == "":
			cp.Field = e.field("")
		case e.rtype != "" && (f == e.rtype || strings.HasPrefix(f, e.rtype+".") || strings.HasPrefix(f, e.rtype+"[")):
			cp.Field = e.field("resource" + strings.TrimPrefix(f, e.rtype))
		case f == "resourceType":
			cp.Field = e.field("resource.resourceType")
		default:
			cp.Field = e.field(f)
		}
		cp.Message = "entry " + strconv.Itoa(e.index) + ": " + x.Message
		out[i] = &cp
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

// bundle serves POST [base] with a transaction or batch Bundle.
func (h *Handler) bundle(req *request) (action string, err error) {
	action = "bundle"
	err = h.bundleOf(req, &action)
	return action, err
}

func (h *Handler) bundleOf(req *request, action *string) error {
	body, err := h.readBody(req)
	if err != nil {
		return err
	}
	b, err := fhirjson.Decode(body)
	if err != nil {
		return err
	}
	if rt, _ := b["resourceType"].(string); rt != "Bundle" {
		return errs.Field("resourceType", "POST to the base takes a Bundle, not %q", rt)
	}
	btype, _ := b["type"].(string)
	if btype != "transaction" && btype != "batch" {
		return errs.Field("Bundle.type", "POST to the base takes a transaction or batch Bundle, not %q", btype)
	}
	*action = btype
	raw, _ := b["entry"].([]any)
	if _, ok := b["entry"]; ok && raw == nil {
		return errs.Field("Bundle.entry", "must be an array")
	}
	if len(raw) > h.cfg.MaxBundleEntries {
		return errs.E(errs.TooLarge, "the Bundle has %d entries; this server takes at most %d in one %s (--max-bundle-entries)", len(raw), h.cfg.MaxBundleEntries, btype)
	}
	// A transaction ends at its first failing entry; a batch answers
	// each, and ends only at an entry that is not an object.
	entries, objs, perrs := h.readEntries(req.ctx, raw, func(obj map[string]any, err error) bool {
		return obj == nil || (err != nil && btype == "transaction")
	})
	for i, e := range entries {
		if objs[i] == nil {
			return errs.Field(e.field(""), "an entry must be an object")
		}
		perr := perrs[i]
		if perr != nil && btype == "transaction" {
			return entryErr(e, perr)
		}
		if perr != nil {
			e.fail(entryErr(e, perr))
		}
	}
	if btype == "transaction" {
		return h.transaction(req, entries)
	}
	return h.batch(req, entries)
}

// parseEntry reads an entry's request and resource, and validates the
// resource as a create or update of it would.
func (h *Handler) parseEntry(e *entry, obj map[string]any) error {
	e.fullURL, _ = obj["fullUrl"].(string)
	rq, _ := obj["request"].(map[string]any)
	if rq == nil {
		return errs.Field(e.field("request"), "a transaction or batch entry needs a request")
	}
	e.method, _ = rq["method"].(string)
	switch e.method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return errs.Field(e.field("request.method"), "not a method: %q", e.method)
	}
	if e.method == http.MethodHead {
		e.method = http.MethodGet
	}
	u, _ := rq["url"].(string)
	if base := h.cfg.BaseURL + "/"; strings.HasPrefix(u, base) {
		u = strings.TrimPrefix(u, base)
	}
	u = strings.TrimPrefix(u, "/")
	e.path, e.query, _ = strings.Cut(u, "?")
	segs := strings.Split(e.path, "/")
	if e.path == "" || strings.Contains(u, "://") {
		return errs.Field(e.field("request.url"), "must name a resource type of this server: %q", u)
	}
	if t, ok := spec.CanonicalType(segs[0]); ok {
		e.rtype = t
	} else if e.method != http.MethodGet {
		return errs.Field(e.field("request.url"), "unknown resource type %q", segs[0])
	}
	if len(segs) > 1 {
		e.id = segs[1]
	}
	switch e.method {
	case http.MethodPost:
		if len(segs) != 1 || e.query != "" {
			return errs.Field(e.field("request.url"), "a POST entry's url is the resource type alone: %q", u)
		}
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		if !(len(segs) == 2 && e.query == "") && !(len(segs) == 1 && e.query != "") {
			return errs.Field(e.field("request.url"), "a %s entry's url is [type]/[id] or [type]?[search]: %q", e.method, u)
		}
	}
	if s, ok := rq["ifMatch"].(string); ok {
		v, ok := parseETag(s)
		if !ok {
			return errs.Field(e.field("request.ifMatch"), "not a version tag: %q (expected W/\"n\")", s)
		}
		e.ifMatch = v
	}
	e.ifNoneMatch, _ = rq["ifNoneMatch"].(string)
	e.ifNoneExist, _ = rq["ifNoneExist"].(string)
	e.ifModifiedSince, _ = rq["ifModifiedSince"].(string)
	if e.method == http.MethodPatch {
		return e.parsePatch(obj)
	}
	if e.method != http.MethodPost && e.method != http.MethodPut {
		return nil
	}
	res, _ := obj["resource"].(map[string]any)
	if res == nil {
		return errs.Field(e.field("resource"), "a %s entry needs a resource", e.method)
	}
	if rt, _ := res["resourceType"].(string); rt != e.rtype {
		return errs.Field(e.field("resource.resourceType"), "the resource is a %q but request.url names %s", rt, e.rtype)
	}
	if err := validate.Resource(e.rtype, res); err != nil {
		return err
	}
	if e.method == http.MethodPut && e.id != "" {
		if bid, _ := res["id"].(string); bid != e.id {
			return errs.Field(e.field("resource.id"), "the resource's id %q does not match request.url's %q", bid, e.id)
		}
	}
	if e.method == http.MethodPost {
		delete(res, "id") // the server assigns ids on create
	}
	e.res = res
	return nil
}

// interaction is what the entry stands for, for the gate.
func (e *entry) interaction() scope.Interaction {
	switch e.method {
	case http.MethodPost:
		return scope.Create
	case http.MethodPut, http.MethodPatch:
		return scope.Update
	case http.MethodDelete:
		return scope.Delete
	}
	if e.id == "" {
		return scope.Search
	}
	return scope.Read
}

// fail records err as the entry's answer (a batch goes on).
func (e *entry) fail(err error) {
	var list []*errs.Error
	var multi errs.Multi
	var one *errs.Error
	switch {
	case errors.As(err, &multi):
		list = multi
	case errors.As(err, &one):
		list = []*errs.Error{one}
	default:
		list = []*errs.Error{{Kind: errs.Internal, Message: "internal server error"}}
	}
	rec := newRecorder()
	outcome.Write(rec, list[0].Kind.Status(), outcome.IssuesOf(list)...)
	e.status, e.body, e.outcome = rec.status, rec.buf.Bytes(), true
}

// batch runs each entry on its own, in order, through the same handlers
// (and so the same gate and audit) as the REST interaction it stands for.
func (h *Handler) batch(req *request, entries []*entry) error {
	for _, e := range entries {
		if e.status != 0 {
			continue // refused when read
		}
		h.runEntry(req, req.r.Context(), e)
	}
	return h.writeBundleResponse(req, "batch-response", entries)
}

// runEntry answers one entry as the REST interaction it stands for: a
// request to this face, with the caller's credentials, served by the same
// routes and handlers (gate, validation, audit), recorded in place. ctx is
// the request's (a transaction's GET entries run under store.WithTx).
func (h *Handler) runEntry(req *request, ctx context.Context, e *entry) {
	// A transaction retried from the start answers its GET entries again.
	e.status, e.location, e.etag, e.modified, e.body, e.outcome = 0, "", "", "", nil, false
	var body []byte
	bodyType := contentType
	switch {
	case e.patch != nil:
		body, bodyType = e.patch, patchContentType(e.patchFormat)
	case e.res != nil:
		var err error
		if body, err = fhirjson.Encode(e.res); err != nil {
			e.fail(err)
			return
		}
	}
	target := Prefix + "/" + e.path
	if e.query != "" {
		target += "?" + e.query
	}
	r, err := http.NewRequestWithContext(ctx, e.method, target, bytes.NewReader(body))
	if err != nil {
		e.fail(errs.Field(e.field("request.url"), "not a URL: %q", target))
		return
	}
	r.RemoteAddr = req.r.RemoteAddr
	r.Host = req.r.Host
	for _, k := range []string{"Authorization", "Prefer", "X-Forwarded-For"} {
		if v := req.r.Header.Values(k); len(v) > 0 {
			r.Header[k] = v
		}
	}
	r.Header.Set("Accept", contentType)
	if body != nil {
		r.Header.Set("Content-Type", bodyType)
		r.ContentLength = int64(len(body))
	}
	if e.ifMatch != 0 {
		r.Header.Set("If-Match", `W/"`+strconv.FormatInt(e.ifMatch, 10)+`"`)
	}
	for k, v := range map[string]string{"If-None-Match": e.ifNoneMatch, "If-None-Exist": e.ifNoneExist, "If-Modified-Since": e.ifModifiedSince} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	e.status = rec.status
	e.location = strings.TrimPrefix(rec.h.Get("Location"), h.cfg.BaseURL+"/")
	e.etag = rec.h.Get("ETag")
	if lm := rec.h.Get("Last-Modified"); lm != "" {
		if t, err := parseHTTPTime(lm); err == nil {
			e.modified = store.FormatInstant(t)
		}
	}
	if e.ifModifiedSince != "" && e.method == http.MethodGet && e.status == http.StatusOK && e.etag != "" {
		// A read not changed since the time given: 304, as a conditional
		// read answers (the Last-Modified header counts whole seconds).
		since, err := time.Parse(time.RFC3339Nano, e.ifModifiedSince)
		if err != nil {
			since, err = parseHTTPTime(e.ifModifiedSince)
		}
		lm, lerr := parseHTTPTime(rec.h.Get("Last-Modified"))
		if err == nil && lerr == nil && !lm.After(since.Truncate(time.Second)) {
			e.status = http.StatusNotModified
			return
		}
	}
	if rec.buf.Len() > 0 {
		e.body = rec.buf.Bytes()
		e.outcome = e.status >= 400 || bytes.Contains(e.body[:min(len(e.body), 64)], []byte(`"OperationOutcome"`))
	}
}

// writeBundleResponse writes the transaction-response or batch-response.
func (h *Handler) writeBundleResponse(req *request, btype string, entries []*entry) error {
	id, err := h.cfg.Store.NewID()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"Bundle","id":"` + id + `","meta":{"lastUpdated":"` + store.FormatInstant(h.cfg.Now()) + `"},"type":"` + btype + `","entry":[`)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		if e.out != nil && !e.out.Deleted {
			b.WriteString(`"fullUrl":`)
			writeJSONString(&b, h.cfg.BaseURL+"/"+e.out.Type+"/"+e.out.ID)
			b.WriteByte(',')
		}
		if e.body != nil && !e.outcome {
			b.WriteString(`"resource":`)
			b.Write(e.body)
			b.WriteByte(',')
		}
		b.WriteString(`"response":{"status":`)
		writeJSONString(&b, strconv.Itoa(e.status)+" "+http.StatusText(e.status))
		for _, kv := range [][2]string{{"location", e.location}, {"etag", e.etag}, {"lastModified", e.modified}} {
			if kv[1] != "" {
				b.WriteString(`,"` + kv[0] + `":`)
				writeJSONString(&b, kv[1])
			}
		}
		if e.body != nil && e.outcome {
			b.WriteString(`,"outcome":`)
			b.Write(e.body)
		}
		b.WriteString(`}}`)
	}
	b.WriteString(`]}`)
	w := req.w
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
	return nil
}

// recorder keeps an answer of the face in memory, for an entry of a batch.
type recorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func newRecorder() *recorder { return &recorder{h: http.Header{}} }

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(p)
}

// system is gated for interactions on the whole system (POST [base]):
// the caller is authenticated by the same gate, has no type, and the
// request is audited under the action it names (transaction, batch).
func (h *Handler) system(fn func(*request) (string, error)) http.HandlerFunc {
	return h.gate.Serve(func(g *gate.Request) error {
		patient, _ := g.Caller.PatientRestriction()
		g.Audit = store.AuditEvent{Patient: patient, Action: "transaction"}
		if err := refuseControls(g.R); err != nil {
			return err
		}
		action, err := fn(&request{w: g.W, r: g.R, ctx: g.Context(), caller: g.Caller})
		if action != "" {
			g.Audit.Action = action
		}
		return err
	})
}

// parseHTTPTime reads an HTTP date, in the GMT form or as the face writes
// Last-Modified (RFC 1123 with UTC).
func parseHTTPTime(v string) (time.Time, error) {
	if t, err := http.ParseTime(v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC1123, v)
}
