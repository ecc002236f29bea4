package fhirapi

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// search serves GET [type]?… and POST [type]/_search. A POST takes its
// parameters from the form body and the URL together, so both forms give the
// same results and the same links.
func (h *Handler) search(req *request) error {
	c, err := req.allow(scope.Search)
	if err != nil {
		return err
	}
	params, err := h.searchParams(req)
	if err != nil {
		return err
	}
	q, err := search.Parse(req.typ, params, search.Options{Lenient: preferLenient(req.r), Local: h.local})
	if err != nil {
		return err
	}
	q.Compartment = req.inCompartment(c)
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
	included, err := h.includes(req, q, res.Resources)
	if err != nil {
		return err
	}
	return h.writeSearchset(req, q, params, res, included)
}

func (h *Handler) searchParams(req *request) (url.Values, error) {
	params := req.r.URL.Query()
	if req.r.Method != http.MethodPost {
		return params, nil
	}
	ct := req.r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, errs.E(errs.Unsupported, "POST _search takes application/x-www-form-urlencoded parameters")
	}
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, 1<<20)
	if err := req.r.ParseForm(); err != nil {
		return nil, errs.E(errs.Invalid, "malformed form body")
	}
	for k, vs := range req.r.PostForm {
		params[k] = append(params[k], vs...)
	}
	return params, nil
}

// selfParams is the canonical query of a search: the parameters that were
// used, sorted, without paging state or ignored parameters.
func selfParams(params url.Values, q *search.Query) url.Values {
	out := url.Values{}
	for k, vs := range params {
		if k == "_cursor" || k == "_format" || k == "_pretty" || contains(q.Ignored, k) {
			continue
		}
		vs = append([]string(nil), vs...)
		sort.Strings(vs)
		out[k] = vs
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeSearchset writes the Bundle with the stored bytes of each match
// spliced in as they are (or subsetted when _elements or _summary ask).
func (h *Handler) writeSearchset(req *request, q *search.Query, params url.Values, res *store.SearchResult, included []*store.Resource) error {
	self := selfParams(params, q)
	base := h.cfg.BaseURL + "/" + req.typ
	var b bytes.Buffer
	b.Grow(1024 + 1200*len(res.Resources))
	id, err := h.cfg.Store.NewID()
	if err != nil {
		return err
	}
	b.WriteString(`{"resourceType":"Bundle","id":"` + id + `","meta":{"lastUpdated":"` + store.FormatInstant(h.cfg.Now()) + `"},"type":"searchset"`)
	if res.HasTotal {
		b.WriteString(`,"total":` + strconv.FormatInt(res.Total, 10))
	}
	b.WriteString(`,"link":[{"relation":"self","url":`)
	writeJSONString(&b, withQuery(req.linkBase(base), self))
	b.WriteString(`}`)
	if res.Next != "" {
		next := url.Values{}
		for k, v := range self {
			next[k] = v
		}
		next.Set("_cursor", res.Next)
		b.WriteString(`,{"relation":"next","url":`)
		writeJSONString(&b, withQuery(req.linkBase(base), next))
		b.WriteString(`}`)
	}
	b.WriteString(`]`)
	if len(res.Resources) > 0 || len(q.Ignored) > 0 {
		b.WriteString(`,"entry":[`)
		if len(q.Ignored) > 0 {
			// A lenient search tells the client what it did not apply, in
			// an outcome entry, as the FHIR search page describes.
			b.WriteString(`{"resource":{"resourceType":"OperationOutcome","issue":[`)
			for i, name := range q.Ignored {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"severity":"warning","code":"not-supported","diagnostics":`)
				writeJSONString(&b, "parameter ignored: "+name)
				b.WriteString(`,"expression":[`)
				writeJSONString(&b, name)
				b.WriteString(`]}`)
			}
			b.WriteString(`]},"search":{"mode":"outcome"}}`)
			if len(res.Resources) > 0 {
				b.WriteByte(',')
			}
		}
		for i, r := range res.Resources {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"fullUrl":`)
			writeJSONString(&b, base+"/"+r.ID)
			b.WriteString(`,"resource":`)
			body, err := h.shown(req, req.typ, r.Body)
			if err != nil {
				return err
			}
			if body, err = subset(body, q); err != nil {
				return err
			}
			b.Write(body)
			b.WriteString(`,"search":{"mode":"match"}}`)
		}
		for _, r := range included {
			b.WriteString(`,{"fullUrl":`)
			writeJSONString(&b, h.cfg.BaseURL+"/"+r.Type+"/"+r.ID)
			b.WriteString(`,"resource":`)
			body, err := h.shown(req, r.Type, r.Body)
			if err != nil {
				return err
			}
			b.Write(body)
			b.WriteString(`,"search":{"mode":"include"}}`)
		}
		b.WriteString(`]`)
	}
	b.WriteString(`}`)
	h2 := req.w.Header()
	h2.Set("Content-Type", contentType)
	h2.Set("Content-Length", strconv.Itoa(b.Len()))
	req.w.WriteHeader(http.StatusOK)
	req.w.Write(b.Bytes())
	return nil
}

func withQuery(base string, v url.Values) string {
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// subset applies _elements and _summary=text|data to a stored resource.
// Subsetted resources are tagged SUBSETTED as FHIR requires.
func subset(body []byte, q *search.Query) ([]byte, error) {
	if len(q.Elements) == 0 && q.Summary != "text" && q.Summary != "data" && q.Summary != "true" {
		return body, nil
	}
	obj, err := fhirjson.Decode(body)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{"resourceType": true, "id": true, "meta": true}
	switch {
	case len(q.Elements) > 0:
		for _, e := range q.Elements {
			keep[e] = true
		}
		// Mandatory elements stay so the result is still a valid resource.
		for _, e := range mandatoryElements(obj["resourceType"].(string)) {
			keep[e] = true
		}
	case q.Summary == "true":
		// The summary elements of the resource's own level, as the
		// specification marks them; nested elements are kept whole.
		for _, e := range validate.Summary(obj["resourceType"].(string)) {
			keep[e] = true
		}
		for _, e := range mandatoryElements(obj["resourceType"].(string)) {
			keep[e] = true
		}
	case q.Summary == "text":
		keep["text"] = true
		for _, e := range mandatoryElements(obj["resourceType"].(string)) {
			keep[e] = true
		}
	case q.Summary == "data":
		for k := range obj {
			keep[k] = k != "text"
		}
	}
	for k := range obj {
		if !keep[k] {
			delete(obj, k)
		}
	}
	meta, _ := obj["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["meta"] = meta
	}
	tags, _ := meta["tag"].([]any)
	meta["tag"] = append(tags, map[string]any{
		"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
		"code":   "SUBSETTED", "display": "subsetted",
	})
	return fhirjson.Encode(obj)
}

// mandatoryElements are the top-level elements with a minimum cardinality of
// one, kept in every subset.
func mandatoryElements(rtype string) []string {
	return validate.Required(rtype)
}

func mustParam(rtype, code string) *spec.SearchParam {
	p, ok := spec.LookupSearchParam(rtype, code)
	if !ok {
		panic("fhirapi: search parameter " + rtype + "." + code + " missing from the spec tables")
	}
	return p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
