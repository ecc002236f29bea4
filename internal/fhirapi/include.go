package fhirapi

import (
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// revIncludeChunk is how many matches one _revinclude search names at once.
const revIncludeChunk = 100

// maxIncluded bounds the resources _include and _revinclude add to a page.
const maxIncluded = 5000

// includes resolves the _include and _revinclude of a search for one page
// of matches. Each added resource passes the same gate as a direct read or
// search of its type: a type the token cannot read is left out, and a
// patient token sees only its own compartment. Nothing is listed twice.
func (h *Handler) includes(req *request, q *search.Query, matches []*store.Resource) ([]*store.Resource, error) {
	if len(matches) == 0 || (len(q.Include) == 0 && len(q.RevInclude) == 0) {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, r := range matches {
		seen[r.Type+"/"+r.ID] = true
	}
	var out []*store.Resource
	add := func(r *store.Resource) {
		if key := r.Type + "/" + r.ID; !seen[key] && len(out) < maxIncluded {
			seen[key] = true
			out = append(out, r)
		}
	}

	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	for _, inc := range q.Include {
		// The references are read from the search index, not by decoding
		// every match again.
		refs, err := h.cfg.Store.References(req.ctx, q.Type, ids, inc.Param.Code)
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			if (inc.Target != "" && ref.Type != inc.Target) || seen[ref.Type+"/"+ref.ID] {
				continue
			}
			c, ok := req.allowFor(ref.Type, scope.Read)
			if !ok {
				continue
			}
			r, err := h.cfg.Store.Read(req.ctx, ref.Type, ref.ID, c)
			if err == nil {
				add(r)
				continue
			}
			switch errs.KindOf(err) {
			case errs.NotFound, errs.Gone, errs.Forbidden:
				// Dangling, deleted or outside the caller's view: left out.
			default:
				return nil, err
			}
		}
	}

	for _, inc := range q.RevInclude {
		c, ok := req.allowFor(inc.Source, scope.Search)
		if !ok {
			continue
		}
		filters, err := req.scopeFiltersFor(inc.Source, scope.Search)
		if err != nil {
			continue
		}
		for start := 0; start < len(matches); start += revIncludeChunk {
			refs := make([]string, 0, revIncludeChunk)
			for _, m := range matches[start:min(start+revIncludeChunk, len(matches))] {
				refs = append(refs, m.Type+"/"+m.ID)
			}
			rq, err := search.Parse(inc.Source, map[string][]string{inc.Param.Code: {strings.Join(refs, ",")}}, search.Options{})
			if err != nil {
				return nil, err
			}
			rq.Compartment, rq.AnyOf, rq.Count = c, filters, search.MaxCount
			for {
				res, err := h.cfg.Store.Search(req.ctx, rq)
				if err != nil {
					return nil, err
				}
				for _, r := range res.Resources {
					add(r)
				}
				if res.Next == "" || len(out) >= maxIncluded {
					break
				}
				rq.Cursor = res.Next
			}
		}
	}
	return out, nil
}
