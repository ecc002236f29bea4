package fhirapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

func (h *Handler) instanceHistory(req *request) error {
	id := req.r.PathValue("id")
	if !search.ValidID(id) {
		return errs.Field("id", "not a valid resource id: %q", id)
	}
	return h.history(req, id)
}

func (h *Handler) typeHistory(req *request) error { return h.history(req, "") }

// history serves _history as a history Bundle, newest version first, paged
// by a cursor like search.
func (h *Handler) history(req *request, id string) error {
	c, err := req.allow(scope.Read)
	if err != nil {
		return err
	}
	if id == "" {
		// Type history lists changes of many resources: it needs the
		// search permission too.
		if c, err = req.allow(scope.Search); err != nil {
			return err
		}
		if groups, err := req.scopeFilters(scope.Search); err != nil {
			return err
		} else if groups != nil {
			return errs.E(errs.Forbidden, "type history is not available with granular scopes")
		}
	} else if err := h.checkGranular(req, id); err != nil && errs.KindOf(err) != errs.NotFound {
		return err
	}
	q := store.HistoryQuery{Type: req.typ, ID: id, Compartment: c}
	params := req.r.URL.Query()
	if err := parseHistoryParams(req, params, &q); err != nil {
		return err
	}
	page, err := h.cfg.Store.History(req.ctx, q)
	if err != nil {
		return err
	}
	base := h.cfg.BaseURL + "/" + req.typ
	if id != "" {
		base += "/" + id
	}
	return h.writeHistory(req, base+"/_history", params, page)
}

// positiveCount reads a _count.
func positiveCount(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errs.Field("_count", "must be a positive integer, got %q", v)
	}
	return n, nil
}

// sinceInstant reads a _since: the start of the date or instant given.
func sinceInstant(v string) (time.Time, error) {
	lo, _, ok := search.DateRange(v)
	if !ok {
		return time.Time{}, errs.Field("_since", "not a valid instant: %q", v)
	}
	return timeFromMicros(lo), nil
}

// parseHistoryParams reads _count, _since and _cursor into q.
func parseHistoryParams(req *request, params url.Values, q *store.HistoryQuery) error {
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
		case "_cursor":
			if _, err := fmt.Sscanf(decodeHistoryCursor(v), "%d.%d.%d", &q.Before, &q.BeforeRID, &q.BeforeVer); err != nil {
				return errs.Field("_cursor", "not a cursor of this history")
			}
		case "_format", "_pretty":
		default:
			if !preferLenient(req.r) {
				return errs.Field(k, "unknown parameter for history")
			}
		}
	}
	return nil
}

// writeHistory writes a page of versions as a history Bundle.
func (h *Handler) writeHistory(req *request, base string, params url.Values, page *store.HistoryPage) error {
	self := url.Values{}
	for _, k := range []string{"_count", "_since"} {
		if v := params.Get(k); v != "" {
			self.Set(k, v)
		}
	}
	var b bytes.Buffer
	bid, err := h.cfg.Store.NewID()
	if err != nil {
		return err
	}
	b.WriteString(`{"resourceType":"Bundle","id":"` + bid + `","meta":{"lastUpdated":"` + store.FormatInstant(h.cfg.Now()) + `"},"type":"history","link":[{"relation":"self","url":`)
	writeJSONString(&b, withQuery(base, self))
	b.WriteString(`}`)
	if page.More {
		next := url.Values{}
		for k, v := range self {
			next[k] = v
		}
		next.Set("_cursor", encodeHistoryCursor(fmt.Sprintf("%d.%d.%d", page.NextBefore, page.NextBeforeRID, page.NextBeforeVer)))
		b.WriteString(`,{"relation":"next","url":`)
		writeJSONString(&b, withQuery(base, next))
		b.WriteString(`}`)
	}
	b.WriteString(`]`)
	if len(page.Versions) > 0 {
		b.WriteString(`,"entry":[`)
		for i, v := range page.Versions {
			if i > 0 {
				b.WriteByte(',')
			}
			full := h.cfg.BaseURL + "/" + v.Type + "/" + v.ID
			b.WriteString(`{"fullUrl":`)
			writeJSONString(&b, full)
			if !v.Deleted {
				body, err := h.shown(req, v.Type, v.Body)
				if err != nil {
					return err
				}
				b.WriteString(`,"resource":`)
				b.Write(body)
			}
			reqURL := v.Type
			status := "200 OK"
			switch v.Method {
			case "PUT", "DELETE":
				reqURL += "/" + v.ID
			}
			switch {
			case v.Method == "DELETE":
				status = "204 No Content"
			case v.Version == 1:
				status = "201 Created"
			}
			b.WriteString(`,"request":{"method":"` + v.Method + `","url":`)
			writeJSONString(&b, reqURL)
			b.WriteString(`},"response":{"status":"` + status + `","etag":`)
			writeJSONString(&b, v.ETag())
			b.WriteString(`,"lastModified":"` + store.FormatInstant(v.Updated) + `"}}`)
		}
		b.WriteString(`]`)
	}
	b.WriteString(`}`)
	req.w.Header().Set("Content-Type", contentType)
	req.w.WriteHeader(http.StatusOK)
	req.w.Write(b.Bytes())
	return nil
}

func encodeHistoryCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeHistoryCursor(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ""
	}
	return string(b)
}
