package fhirapi

import (
	"strings"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// revIncludeChunk is how many resources one _revinclude search names at
// once.
const revIncludeChunk = 100

// includeChunk is how many resources one reference lookup of _include
// reads at once (the store takes at most 1000).
const includeChunk = 500

// maxIncluded bounds the resources _include and _revinclude add to a page.
const maxIncluded = 5000

// maxIterateRounds bounds how many times :iterate includes are applied to
// what the previous round added.
const maxIterateRounds = 3

// includes resolves the _include and _revinclude of a search for one page
// of matches. Each added resource passes the same gate as a direct read or
// search of its type: a type the token cannot read is left out, and a
// patient token sees only its own compartment. Nothing is listed twice.
//
// The first round applies every include to the matches; each further round
// applies the :iterate ones to what the round before added, until a round
// adds nothing, maxIterateRounds rounds are done or maxIncluded is reached.
func (h *Handler) includes(req *request, q *search.Query, matches []*store.Resource) ([]*store.Resource, error) {
	if len(matches) == 0 || (len(q.Include) == 0 && len(q.RevInclude) == 0) {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, r := range matches {
		seen[r.Type+"/"+r.ID] = true
	}
	var out, added []*store.Resource
	add := func(r *store.Resource) {
		if key := r.Type + "/" + r.ID; !seen[key] && len(out) < maxIncluded {
			seen[key] = true
			out = append(out, r)
			added = append(added, r)
		}
	}
	from := matches
	for round := 0; round <= maxIterateRounds && len(from) > 0 && len(out) < maxIncluded; round++ {
		added = nil
		for i := range q.Include {
			if inc := &q.Include[i]; round == 0 || inc.Iterate {
				if err := h.include(req, inc, from, seen, add); err != nil {
					return nil, err
				}
			}
		}
		for i := range q.RevInclude {
			if inc := &q.RevInclude[i]; round == 0 || inc.Iterate {
				if err := h.revinclude(req, inc, from, add, func() bool { return len(out) >= maxIncluded }); err != nil {
					return nil, err
				}
			}
		}
		from = added
	}
	return out, nil
}

// include adds what the resources of from of the include's source type
// point at. The references are read from the search index, not by decoding
// every resource again, and the targets are read a type at a time, as a
// search by _id: one query for many targets, through the same gate as a
// read of each (the type's read scope, the patient compartment and the
// granular scope filters, which a target outside them fails silently).
func (h *Handler) include(req *request, inc *search.Include, from []*store.Resource, seen map[string]bool, add func(*store.Resource)) error {
	var ids []string
	for _, r := range from {
		if r.Type == inc.Source {
			ids = append(ids, r.ID)
		}
	}
	targets := map[string][]string{} // by type
	queued := map[string]bool{}
	var types []string
	for start := 0; start < len(ids); start += includeChunk {
		refs, err := h.cfg.Store.References(req.ctx, inc.Source, ids[start:min(start+includeChunk, len(ids))], inc.Param.Code)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			key := ref.Type + "/" + ref.ID
			if (inc.Target != "" && ref.Type != inc.Target) || seen[key] || queued[key] || !search.ValidID(ref.ID) {
				continue
			}
			queued[key] = true
			if _, ok := targets[ref.Type]; !ok {
				types = append(types, ref.Type)
			}
			targets[ref.Type] = append(targets[ref.Type], ref.ID)
		}
	}
	for _, rtype := range types {
		c, ok := req.allowFor(rtype, scope.Read)
		if !ok {
			continue
		}
		filters, err := req.scopeFiltersFor(rtype, scope.Read)
		if err != nil {
			continue // a malformed granted filter admits nothing
		}
		list := targets[rtype]
		for start := 0; start < len(list); start += includeChunk {
			chunk := list[start:min(start+includeChunk, len(list))]
			values := make([]search.Value, len(chunk))
			for i, id := range chunk {
				values[i] = search.Value{Raw: id, Code: id}
			}
			q := &search.Query{Type: rtype, Count: len(chunk), Compartment: c, AnyOf: filters,
				Clauses: []search.Clause{{Param: mustParam(rtype, "_id"), Values: values}}}
			res, err := h.cfg.Store.Search(req.ctx, q)
			if err != nil {
				return err
			}
			for _, r := range res.Resources {
				add(r)
			}
		}
	}
	return nil
}

// revinclude adds the resources of the include's source type that point at
// resources of from, searched as the caller would search that type.
func (h *Handler) revinclude(req *request, inc *search.Include, from []*store.Resource, add func(*store.Resource), full func() bool) error {
	c, ok := req.allowFor(inc.Source, scope.Search)
	if !ok {
		return nil
	}
	filters, err := req.scopeFiltersFor(inc.Source, scope.Search)
	if err != nil {
		return nil
	}
	var targets []string
	for _, r := range from {
		if inc.PointsAt(r.Type) {
			targets = append(targets, r.Type+"/"+r.ID)
		}
	}
	for start := 0; start < len(targets) && !full(); start += revIncludeChunk {
		refs := targets[start:min(start+revIncludeChunk, len(targets))]
		rq, err := search.Parse(inc.Source, map[string][]string{inc.Param.Code: {strings.Join(refs, ",")}}, search.Options{})
		if err != nil {
			return err
		}
		rq.Compartment, rq.AnyOf, rq.Count = c, filters, search.MaxCount
		for {
			res, err := h.cfg.Store.Search(req.ctx, rq)
			if err != nil {
				return err
			}
			for _, r := range res.Resources {
				add(r)
			}
			if res.Next == "" || full() {
				break
			}
			rq.Cursor = res.Next
		}
	}
	return nil
}
