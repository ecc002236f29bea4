package fhirapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// everythingOperation is Patient/$everything as the CapabilityStatement
// declares it.
var everythingOperation = Operation{Type: "Patient", Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything"}

// everythingInstance serves GET Patient/[id]/$everything.
func (h *Handler) everythingInstance(req *request) error {
	if req.typ != "Patient" {
		return errs.E(errs.NotFound, "$everything is served for Patient only")
	}
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	c, err := req.allow(scope.Read)
	if err != nil {
		return err
	}
	// The patient must be one the caller may read: a token confined to
	// another patient gets the 404 a read of this one gets.
	if _, err := h.cfg.Store.Read(req.ctx, "Patient", id, c); err != nil {
		return err
	}
	if err := h.checkGranular(req, id); err != nil {
		return err
	}
	return h.everything(req, id)
}

// everythingType serves GET Patient/$everything: the records of every
// patient the caller may search, or of its own patient when it is
// confined to one.
func (h *Handler) everythingType(req *request) error {
	if req.typ != "Patient" {
		return errs.E(errs.NotFound, "$everything is served for Patient only")
	}
	c, err := req.allow(scope.Search)
	if err != nil {
		return err
	}
	return h.everything(req, c.Patient)
}

// everything lists the patient's compartment and what it refers to, each
// type gated as a search of it by the caller would be: a type the scopes
// do not grant is left out, a type the caller is confined in is listed only
// from its own patient's compartment (never reached by a reference), and a
// type under granular scopes only where a resource matches their filters.
func (h *Handler) everything(req *request, patient string) error {
	params := req.r.URL.Query()
	q := store.EverythingQuery{Patient: patient}
	var only map[string]bool
	for k, vs := range params {
		v := vs[len(vs)-1]
		switch k {
		case "_count":
			n, err := positiveCount(v)
			if err != nil {
				return err
			}
			q.Count = n
		case "_since":
			t, err := sinceInstant(v)
			if err != nil {
				return err
			}
			q.Since = t
		case "_type":
			only = map[string]bool{}
			for _, v := range vs {
				for _, t := range strings.Split(v, ",") {
					ct, ok := spec.CanonicalType(strings.TrimSpace(t))
					if !ok {
						return errs.Field("_type", "unknown resource type %q", t)
					}
					only[ct] = true
				}
			}
		case "_cursor":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return errs.Field("_cursor", "not a cursor of this operation")
			}
			q.After = n
		case "_format", "_pretty":
		default:
			if !preferLenient(req.r) {
				return errs.Field(k, "unknown parameter for $everything")
			}
		}
	}
	filtered := map[string][][]search.Clause{}
	for _, t := range spec.ResourceTypes() {
		if only != nil && !only[t] {
			continue
		}
		c, err := req.allowType(t, scope.Search)
		if err != nil {
			continue
		}
		if c.Restricted && (patient == "" || c.Patient != patient) {
			continue
		}
		groups, err := req.scopeFiltersFor(t, scope.Search)
		if err != nil {
			continue
		}
		if groups != nil {
			filtered[t] = groups
		}
		q.MemberTypes = append(q.MemberTypes, t)
		if !c.Restricted {
			q.RefTypes = append(q.RefTypes, t)
		}
	}
	page, err := h.cfg.Store.Everything(req.ctx, q)
	if err != nil {
		return err
	}
	shown, err := h.filterGranular(req, page.Resources, filtered)
	if err != nil {
		return err
	}
	return h.writeEverything(req, params, page, shown)
}

// filterGranular keeps the resources of granularly scoped types that match
// one of the filters, by the search the filters stand for.
func (h *Handler) filterGranular(req *request, list []*store.Resource, filtered map[string][][]search.Clause) ([]*store.Resource, error) {
	if len(filtered) == 0 {
		return list, nil
	}
	ids := map[string][]search.Value{}
	for _, r := range list {
		if _, ok := filtered[r.Type]; ok {
			ids[r.Type] = append(ids[r.Type], search.Value{Code: r.ID})
		}
	}
	keep := map[string]bool{}
	for t, vals := range ids {
		q := &search.Query{Type: t, Count: len(vals), AnyOf: filtered[t]}
		q.Clauses = []search.Clause{{Param: mustParam(t, "_id"), Values: vals}}
		res, err := h.cfg.Store.Search(req.ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range res.Resources {
			keep[t+"/"+r.ID] = true
		}
	}
	out := list[:0:0]
	for _, r := range list {
		if _, ok := filtered[r.Type]; !ok || keep[r.Type+"/"+r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

func (h *Handler) writeEverything(req *request, params url.Values, page *store.EverythingPage, list []*store.Resource) error {
	base := h.cfg.BaseURL + "/Patient"
	if id := req.r.PathValue("id"); id != "" {
		base += "/" + id
	}
	base += "/$everything"
	self := url.Values{}
	for _, k := range []string{"_count", "_since", "_type"} {
		if vs, ok := params[k]; ok {
			self[k] = vs
		}
	}
	var b bytes.Buffer
	b.Grow(1024 + 1200*len(list))
	bid, err := h.cfg.Store.NewID()
	if err != nil {
		return err
	}
	b.WriteString(`{"resourceType":"Bundle","id":"` + bid + `","meta":{"lastUpdated":"` + store.FormatInstant(h.cfg.Now()) + `"},"type":"searchset","link":[{"relation":"self","url":`)
	writeJSONString(&b, withQuery(base, self))
	b.WriteString(`}`)
	if page.Next != 0 {
		next := url.Values{}
		for k, v := range self {
			next[k] = v
		}
		next.Set("_cursor", strconv.FormatInt(page.Next, 10))
		b.WriteString(`,{"relation":"next","url":`)
		writeJSONString(&b, withQuery(base, next))
		b.WriteString(`}`)
	}
	b.WriteString(`]`)
	if len(list) > 0 {
		b.WriteString(`,"entry":[`)
		for i, r := range list {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"fullUrl":`)
			writeJSONString(&b, h.cfg.BaseURL+"/"+r.Type+"/"+r.ID)
			body, err := h.shown(req, r.Type, r.Body)
			if err != nil {
				return err
			}
			b.WriteString(`,"resource":`)
			b.Write(body)
			b.WriteString(`,"search":{"mode":"match"}}`)
		}
		b.WriteString(`]`)
	}
	b.WriteString(`}`)
	hd := req.w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	req.w.WriteHeader(http.StatusOK)
	req.w.Write(b.Bytes())
	return nil
}
