package fhirapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/store"
)

// txEntry is a transaction entry with its gate decision.
type txEntry struct {
	*entry
	c       search.Compartment
	filters [][]search.Clause // the caller's granular filters for the interaction
	// set inside the transaction
	target   string // Type/id the entry writes or deletes
	existing bool   // a conditional create that found its resource
}

// transaction runs the entries as one: every write in one database
// transaction, in the order http.html gives (DELETE, POST, PUT and PATCH,
// then GET),
// each entry through the gate of the interaction it stands for. The first
// failing entry fails the whole, with its status and its name; nothing is
// stored and no audit row records a write.
func (h *Handler) transaction(req *request, entries []*entry) error {
	txs := make([]*txEntry, len(entries))
	seenURL := map[string]int{}
	seenID := map[string]int{}
	for i, e := range entries {
		te := &txEntry{entry: e}
		txs[i] = te
		if e.rtype == "" {
			return entryErr(e, errs.Field(e.field("request.url"), "unknown resource type in %q", e.path))
		}
		c, err := req.allowType(e.rtype, e.interaction())
		if err != nil {
			return entryErr(e, err)
		}
		te.c = c
		if te.filters, err = req.scopeFiltersFor(e.rtype, e.interaction()); err != nil {
			return entryErr(e, err)
		}
		if e.fullURL != "" {
			if j, dup := seenURL[e.fullURL]; dup {
				return entryErr(e, errs.Field(e.field("fullUrl"), "entry %d has the same fullUrl %q", j, e.fullURL))
			}
			seenURL[e.fullURL] = i
		}
		if e.method != http.MethodGet && e.id != "" {
			key := e.rtype + "/" + e.id
			if j, dup := seenID[key]; dup {
				return entryErr(e, errs.Field(e.field("request.url"), "entry %d is for the same resource %s", j, key))
			}
			seenID[key] = i
		}
	}
	err := h.cfg.Store.Transaction(req.ctx, func(t *store.Tx) error {
		if err := h.runTransaction(req, t, txs); err != nil {
			return err
		}
		// GET entries last, within the transaction (R4 http.html): each is
		// answered by the face's own route, as in a batch, with its reads
		// made inside t (store.WithTx), so that it sees what the entries
		// before it wrote. A GET entry's failure is its own answer, not the
		// transaction's.
		ctx := store.WithTx(req.r.Context(), t)
		for _, te := range txs {
			if te.method == http.MethodGet {
				h.runEntry(req, ctx, te.entry)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	prefer := preferReturn(req.r)
	for _, te := range txs {
		if te.method == http.MethodGet || te.out == nil {
			continue
		}
		res := te.out
		if !res.Deleted {
			te.location = res.Type + "/" + res.ID + "/_history/" + strconv.FormatInt(res.Version, 10)
			te.etag = res.ETag()
		}
		te.modified = store.FormatInstant(res.Updated)
		switch {
		case prefer == "representation" && !res.Deleted:
			body, err := h.shown(req, res.Type, res.Body)
			if err != nil {
				return err
			}
			te.body = body
		case prefer == "OperationOutcome":
			rec := newRecorder()
			writeInfoOutcome(rec, te.status, res.Type+"/"+res.ID+" "+strings.ToLower(http.StatusText(te.status)))
			te.body, te.outcome = rec.buf.Bytes(), true
		}
	}
	return h.writeBundleResponse(req, "transaction-response", entries)
}

// runTransaction is the body of the database transaction. It may run more
// than once, so it starts from the entries as received every time.
func (h *Handler) runTransaction(req *request, t *store.Tx, txs []*txEntry) error {
	ids := map[string]string{} // fullUrl → Type/id
	targets := map[string]int{}
	claim := func(te *txEntry, rtype, id string) error {
		te.target = rtype + "/" + id
		if j, dup := targets[te.target]; dup {
			return entryErr(te.entry, errs.Field(te.field("request"), "entry %d is for the same resource %s", j, te.target))
		}
		targets[te.target] = te.index
		if te.fullURL != "" {
			ids[te.fullURL] = te.target
		}
		return nil
	}
	bodies := make([]fhirjson.Object, len(txs))
	for i, te := range txs {
		te.out, te.status, te.existing, te.target = nil, 0, false, ""
		if te.res != nil {
			bodies[i] = cloneJSON(te.res).(map[string]any)
		}
	}
	// DELETE.
	for _, te := range txs {
		if te.method != http.MethodDelete {
			continue
		}
		if te.id == "" {
			cond, err := h.conditionalQuery(req, te.rtype, te.query, te.field("request.url"))
			if err != nil {
				return entryErr(te.entry, err)
			}
			if _, err := deleteMatches(t, cond, te.c, te.filters); err != nil {
				return entryErr(te.entry, err)
			}
			te.status = http.StatusNoContent
			continue
		}
		if err := claim(te, te.rtype, te.id); err != nil {
			return err
		}
		if err := h.checkFilters(t, te, te.id); err != nil {
			return entryErr(te.entry, err)
		}
		res, err := t.Delete(te.rtype, te.id, te.ifMatch, te.c)
		if err != nil {
			return entryErr(te.entry, err)
		}
		te.out, te.status = res, http.StatusNoContent
	}
	// POST: ids first (a conditional create may find its resource), so
	// that every reference to an entry can be resolved before any write.
	for _, te := range txs {
		if te.method != http.MethodPost {
			continue
		}
		id := ""
		if te.ifNoneExist != "" {
			cond, err := h.conditionalQuery(req, te.rtype, strings.TrimPrefix(te.ifNoneExist, "?"), te.field("request.ifNoneExist"))
			if err != nil {
				return entryErr(te.entry, err)
			}
			if id, err = matchOne(t, cond, "ifNoneExist search"); err != nil {
				return entryErr(te.entry, err)
			}
			te.existing = id != ""
		}
		if id == "" {
			var err error
			if id, err = t.NewID(); err != nil {
				return err
			}
		}
		if err := claim(te, te.rtype, id); err != nil {
			return err
		}
	}
	// PUT and PATCH: by id, or by search.
	for _, te := range txs {
		if te.method != http.MethodPut && te.method != http.MethodPatch {
			continue
		}
		id := te.id
		if id == "" {
			query, err := h.resolveQuery(te.query, ids)
			if err != nil {
				return entryErr(te.entry, err)
			}
			cond, err := h.conditionalQuery(req, te.rtype, query, te.field("request.url"))
			if err != nil {
				return entryErr(te.entry, err)
			}
			what := "conditional update's search"
			if te.method == http.MethodPatch {
				what = "conditional patch's search"
			}
			if id, err = matchOne(t, cond, what); err != nil {
				return entryErr(te.entry, err)
			}
			bodyID, _ := te.res["id"].(string)
			switch {
			case te.method == http.MethodPatch && id == "":
				// A patch changes a resource; it never makes one.
				return entryErr(te.entry, errs.E(errs.NotFound, "no %s matches the conditional patch's search", te.rtype))
			case te.method == http.MethodPatch: // the one resource it changes
			case id != "" && bodyID != "" && bodyID != id:
				return entryErr(te.entry, errs.Field(te.field("resource.id"), "the resource's id %q is not that of the resource the search matches", bodyID))
			case id == "" && bodyID != "":
				if !search.ValidID(bodyID) {
					return entryErr(te.entry, errs.Field(te.field("resource.id"), "not a valid resource id: %q", bodyID))
				}
				id = bodyID
			case id == "":
				if id, err = t.NewID(); err != nil {
					return err
				}
			}
		} else if !search.ValidID(id) {
			return entryErr(te.entry, errs.Field(te.field("request.url"), "not a valid resource id: %q", id))
		}
		if err := claim(te, te.rtype, id); err != nil {
			return err
		}
	}
	// References to entries, and conditional references.
	conds := map[string]string{}
	for i, te := range txs {
		if bodies[i] == nil || te.existing {
			continue
		}
		r := refRewriter{h: h, req: req, t: t, ids: ids, conds: conds, base: entryBase(te.fullURL)}
		if err := r.walk(bodies[i], te.field("resource")); err != nil {
			return entryErr(te.entry, err)
		}
	}
	// The writes: POST, in multi-row statements, then PUT and PATCH in the
	// order of their entries.
	var creates []store.NewInTx
	var created []*txEntry
	for i, te := range txs {
		if te.method != http.MethodPost {
			continue
		}
		_, id, _ := strings.Cut(te.target, "/")
		if te.existing {
			out, err := t.Read(te.rtype, id, te.c)
			if err != nil {
				return entryErr(te.entry, err)
			}
			te.out, te.status = out, http.StatusOK
			continue
		}
		creates = append(creates, store.NewInTx{Type: te.rtype, ID: id, Body: bodies[i], C: te.c})
		created = append(created, te)
	}
	out, bad, err := t.CreateMany(creates)
	if err != nil {
		if bad >= 0 {
			return entryErr(created[bad].entry, err)
		}
		return err
	}
	for i, te := range created {
		te.out, te.status = out[i], http.StatusCreated
		_, id, _ := strings.Cut(te.target, "/")
		if err := h.checkFilters(t, te, id); err != nil {
			return entryErr(te.entry, err)
		}
	}
	for i, te := range txs {
		if te.method == http.MethodPatch {
			if err := h.patchInTx(req, t, te, refRewriter{h: h, req: req, t: t, ids: ids, conds: conds, base: entryBase(te.fullURL)}); err != nil {
				return err
			}
			continue
		}
		if te.method != http.MethodPut {
			continue
		}
		_, id, _ := strings.Cut(te.target, "/")
		if te.filters != nil {
			if err := h.checkFiltersIfExists(t, te, id); err != nil {
				return entryErr(te.entry, err)
			}
		}
		var isNew bool
		te.out, isNew, err = t.Update(te.rtype, id, bodies[i], te.ifMatch, te.ifNoneMatch == "*", te.c)
		if err != nil {
			return entryErr(te.entry, err)
		}
		te.status = http.StatusOK
		if isNew {
			te.status = http.StatusCreated
		}
		// The new version must be within the caller's granular filters
		// too, as the one it replaces was.
		if err := h.checkFilters(t, te, id); err != nil {
			return entryErr(te.entry, err)
		}
	}
	return nil
}

// checkFilters refuses an entry whose resource the caller's granular
// scopes for the interaction do not cover, checked by the same search the
// filters make, inside the transaction.
func (h *Handler) checkFilters(t *store.Tx, te *txEntry, id string) error {
	if te.filters == nil {
		return nil
	}
	q := &search.Query{Type: te.rtype, AnyOf: te.filters, Compartment: te.c}
	q.Clauses = []search.Clause{{Param: mustParam(te.rtype, "_id"), Values: []search.Value{{Code: id}}}}
	found, err := t.Match(q, 1)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return errs.E(errs.Forbidden, "the granted scopes cover only some %s resources, not this one", te.rtype)
	}
	return nil
}

// checkFiltersIfExists is checkFilters for the version an update replaces,
// when there is one.
func (h *Handler) checkFiltersIfExists(t *store.Tx, te *txEntry, id string) error {
	if _, err := t.Read(te.rtype, id, search.Compartment{}); err != nil {
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Gone {
			return nil
		}
		return err
	}
	return h.checkFilters(t, te, id)
}

// resolveQuery replaces, in a conditional url's query, values that name an
// entry of the transaction by its fullUrl with that entry's Type/id.
func (h *Handler) resolveQuery(raw string, ids map[string]string) (string, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return "", errs.Field("request.url", "not a query string: %q", raw)
	}
	for k, vs := range vals {
		for i, v := range vs {
			if to, ok := ids[v]; ok {
				vals[k][i] = to
			}
		}
	}
	return vals.Encode(), nil
}

// entryBase is the base of an absolute fullUrl ([base]/Type/id), against
// which the entry's relative references are read; "" otherwise.
func entryBase(fullURL string) string {
	if !strings.Contains(fullURL, "://") {
		return ""
	}
	i := strings.LastIndexByte(fullURL, '/')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(fullURL[:i], '/')
	if j < 0 {
		return ""
	}
	return fullURL[:j]
}

// refRewriter points a transaction entry's references at what they name:
// another entry (by its fullUrl, urn:uuid:, urn:oid:, relative or
// absolute), or the one resource a conditional reference's search finds.
type refRewriter struct {
	h   *Handler
	req *request
	t   *store.Tx
	ids map[string]string
	// conds are the conditional references resolved so far in this run
	// of the transaction, by their condition's lock key: the answer
	// cannot change while the transaction holds the lock.
	conds map[string]string
	base  string // the entry's own base, when its fullUrl is absolute
}

// walk rewrites every Reference.reference in v: nested elements,
// extensions and contained resources alike. path is where v is, for the
// error that names a reference which cannot be resolved.
func (r *refRewriter) walk(v any, path string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" {
				to, err := r.resolve(s)
				if err != nil {
					var one *errs.Error
					if errors.As(err, &one) && (one.Field == "" || one.Field == "reference") {
						cp := *one
						cp.Field = path + ".reference"
						return &cp
					}
					return err
				}
				x[k] = to
				continue
			}
			if err := r.walk(e, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := r.walk(e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *refRewriter) resolve(ref string) (string, error) {
	if ref == "" || ref[0] == '#' {
		return ref, nil
	}
	if to, ok := r.ids[ref]; ok {
		return to, nil
	}
	if strings.HasPrefix(ref, "urn:uuid:") || strings.HasPrefix(ref, "urn:oid:") {
		return "", errs.Field("reference", "%s names no entry of the Bundle", ref)
	}
	if typ, query, ok := strings.Cut(ref, "?"); ok && !strings.Contains(typ, "/") {
		rtype, known := spec.CanonicalType(typ)
		if !known {
			return "", errs.Field("reference", "the conditional reference %q names an unknown type", ref)
		}
		cond, err := r.h.conditionalQuery(r.req, rtype, query, "reference")
		if err != nil {
			return "", err
		}
		if to, ok := r.conds[cond.key]; ok {
			return to, nil
		}
		// Under the lock a conditional create of the same search takes
		// (matchOne), held to the commit: a create in progress is waited
		// for and found, and none can start until this transaction ends,
		// so the one match stays the only one.
		id, err := matchOne(r.t, cond, "conditional reference "+strconv.Quote(ref))
		if err != nil {
			return "", err
		}
		if id == "" {
			return "", errs.E(errs.Precondition, "the conditional reference %q matches no resource", ref)
		}
		r.conds[cond.key] = rtype + "/" + id
		return rtype + "/" + id, nil
	}
	if !strings.Contains(ref, "://") {
		base := r.base
		if base == "" {
			base = r.h.cfg.BaseURL
		}
		if to, ok := r.ids[base+"/"+ref]; ok {
			return to, nil
		}
	}
	return ref, nil
}
