package fhirapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/terminology"
	"github.com/emedpractice/emp/internal/scope"
)

// The value set a terminology operation works on: given in the body, stored
// here (by id or by url), or carried by the server.

// resolveValueSet finds the value set of the request and its codes: the
// one given in the body (valueSet); the stored one of the path's id; else
// the one of url (a canonical, with "|version" or valueSetVersion): a
// ValueSet stored here with that url (the most recently updated, when
// several match and no version is given), found by a search the caller
// must be allowed, else the carried one.
func (h *Handler) resolveValueSet(req *request, p *termParams) (map[string]string, []terminology.Entry, error) {
	tables, err := terminology.Builtin()
	if err != nil {
		return nil, nil, err
	}
	vsURL, version := p.vals.Get("url"), p.vals.Get("valueSetVersion")
	if p.valueSet != nil {
		if vsURL != "" || req.r.PathValue("id") != "" {
			return nil, nil, errs.Field("valueSet", "give the value set one way: valueSet, url, or the stored ValueSet's id")
		}
		var vs valueSetDoc
		if err := json.Unmarshal(p.valueSet, &vs); err != nil || vs.ResourceType != "ValueSet" {
			return nil, nil, errs.Field("valueSet", "must be a ValueSet resource")
		}
		return vs.expand(tables)
	}
	if id := req.r.PathValue("id"); id != "" {
		c, err := req.allow(scope.Read)
		if err != nil {
			return nil, nil, err
		}
		res, err := h.cfg.Store.Read(req.ctx, "ValueSet", id, c)
		if err != nil {
			return nil, nil, err
		}
		return storedValueSet(tables, res.Body)
	}
	if vsURL == "" {
		return nil, nil, errs.Field("url", "give the value set's url, or call the operation on a stored ValueSet")
	}
	vsURL, v, _ := strings.Cut(vsURL, "|")
	if version == "" {
		version = v
	} else if v != "" && v != version {
		return nil, nil, errs.Field("valueSetVersion", "names version %q, but url names %q", version, v)
	}
	body, err := h.storedValueSetByURL(req, vsURL, version)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		return storedValueSet(tables, body)
	}
	vs := tables.ValueSet(vsURL)
	if vs != nil && version != "" && vs.Version != version {
		return nil, nil, &terminology.NotSupportedError{Reason: fmt.Sprintf(
			"the value set %s is known to this server in version %s, not %s", vsURL, vs.Version, version)}
	}
	codes, err := tables.Expand(vsURL)
	if err != nil {
		return nil, nil, err
	}
	return map[string]string{"url": vs.URL, "name": vs.Name, "title": vs.Title, "version": vs.Version}, codes, nil
}

// storedValueSetByURL is the body of the ValueSet stored here with a url
// (and version), or nil: a search the caller must be allowed, within the
// caller's compartment and granular filters like any search. A caller who
// may read ValueSets but not search them is answered from the carried
// value sets only.
func (h *Handler) storedValueSetByURL(req *request, vsURL, version string) ([]byte, error) {
	c, err := req.allow(scope.Search)
	if errs.KindOf(err) == errs.Forbidden {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	params := url.Values{"url": {vsURL}, "_sort": {"-_lastUpdated"}, "_count": {"1"}}
	if version != "" {
		params.Set("version", version)
	}
	q, err := search.Parse("ValueSet", params, search.Options{Local: h.local})
	if err != nil {
		return nil, errs.Field("url", "is not a value set url: %q", vsURL)
	}
	q.Compartment = c
	if q.AnyOf, err = req.scopeFilters(scope.Search); err != nil {
		return nil, err
	}
	res, err := h.cfg.Store.Search(req.ctx, q)
	if err != nil || len(res.Resources) == 0 {
		return nil, err
	}
	return res.Resources[0].Body, nil
}

// storedValueSet expands a ValueSet resource stored here.
func storedValueSet(tables *terminology.Tables, body []byte) (map[string]string, []terminology.Entry, error) {
	var vs valueSetDoc
	if err := json.Unmarshal(body, &vs); err != nil {
		return nil, nil, &errs.Error{Kind: errs.Internal, Message: "stored ValueSet unreadable", Err: err}
	}
	return vs.expand(tables)
}

// valueSetDoc is what the operations read of a ValueSet resource.
type valueSetDoc struct {
	ResourceType, ID, URL, Name, Title, Version string
	Compose                                     *terminology.Compose
}

// expand lists the codes of a ValueSet resource: its compose, or, without
// one, the carried value set of its url.
func (vs *valueSetDoc) expand(tables *terminology.Tables) (map[string]string, []terminology.Entry, error) {
	head := map[string]string{"id": vs.ID, "url": vs.URL, "name": vs.Name, "title": vs.Title, "version": vs.Version}
	var codes []terminology.Entry
	var err error
	switch {
	case vs.Compose != nil:
		codes, err = tables.ExpandCompose(vs.Compose)
	case vs.URL != "":
		codes, err = tables.Expand(vs.URL)
	default:
		err = &terminology.NotSupportedError{Reason: "the value set has no compose to expand"}
	}
	return head, codes, err
}
