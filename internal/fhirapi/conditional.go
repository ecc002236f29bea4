package fhirapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// maxConditionalDelete is how many resources one conditional delete may
// remove; a search matching more is refused (412) rather than emptying a
// type by a loose query.
const maxConditionalDelete = 100

// condition is a conditional interaction's search, parsed and gated.
type condition struct {
	q *search.Query
	// key names the condition for Tx.Lock: the type and the query with its
	// parameters and values sorted, so that two identical conditional
	// creates wait for each other however their clients spell the query.
	key string
}

// conditionalQuery parses the search of a conditional interaction
// (If-None-Exist, PUT or DELETE by search, a Bundle entry's ifNoneExist, a
// conditional reference) as a search of rtype by the caller. It needs the
// search scope of the type and sees only what that search would
// (compartment, granular filters, confined chains), so a condition never
// tells the caller about records it could not search for itself. field
// names the condition in errors.
func (h *Handler) conditionalQuery(req *request, rtype, rawQuery, field string) (*condition, error) {
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, errs.Field(field, "not a query string: %q", rawQuery)
	}
	for k := range params {
		if strings.HasPrefix(k, "_") && k != "_id" && k != "_lastUpdated" && k != "_tag" && k != "_profile" && k != "_security" && k != "_has" && !strings.HasPrefix(k, "_has:") {
			delete(params, k) // _count, _sort, _format…: they shape results, not the match
		}
	}
	if len(params) == 0 {
		return nil, errs.Field(field, "a conditional interaction needs search parameters")
	}
	c, err := req.allowType(rtype, scope.Search)
	if err != nil {
		return nil, err
	}
	q, err := search.Parse(rtype, params, search.Options{Local: h.local})
	if err != nil {
		return nil, err
	}
	q.Compartment = c
	if q.AnyOf, err = req.scopeFiltersFor(rtype, scope.Search); err != nil {
		return nil, err
	}
	if err := req.confineLinks(q.Clauses); err != nil {
		return nil, err
	}
	return &condition{q: q, key: ConditionLockKey(rtype, params)}, nil
}

// ConditionLockKey is the name under which a conditional interaction's
// search is locked (store.Tx.Lock): the type and the search's parameters
// and values, sorted, so that two conditions asking the same, however
// their clients spell the query, take turns. Conditional creates, updates
// and a transaction's conditional references all lock by it.
func ConditionLockKey(rtype string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var key strings.Builder
	key.WriteString(rtype + "?")
	for _, k := range names {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			key.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v) + "&")
		}
	}
	return key.String()
}

// matchOne runs a conditional create's or update's search inside t, under
// the condition's lock: "" when nothing matches, the id of the one match,
// or Precondition when several do.
func matchOne(t *store.Tx, cond *condition, what string) (string, error) {
	if err := t.Lock(cond.key); err != nil {
		return "", err
	}
	ids, err := t.Match(cond.q, 2)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", errs.E(errs.Precondition, "the %s matches more than one %s", what, cond.q.Type)
}

// conditionalCreate is a create with If-None-Exist: nothing matches, the
// resource is created (201); one matches, it is answered (200) and nothing
// is written; several match, 412. The search and the write are one
// transaction under the condition's lock, so identical conditional creates
// racing, on one server or on several sharing PostgreSQL, make one resource.
func (h *Handler) conditionalCreate(req *request, c search.Compartment, obj fhirjson.Object) error {
	cond, err := h.conditionalQuery(req, req.typ, strings.TrimPrefix(req.r.Header.Get("If-None-Exist"), "?"), "If-None-Exist")
	if err != nil {
		return err
	}
	var res *store.Resource
	status := http.StatusCreated
	err = h.cfg.Store.Transaction(req.ctx, func(t *store.Tx) error {
		status = http.StatusCreated
		id, err := matchOne(t, cond, "If-None-Exist search")
		if err != nil {
			return err
		}
		if id != "" {
			status = http.StatusOK
			res, err = t.Read(req.typ, id, c)
			return err
		}
		if id, err = t.NewID(); err != nil {
			return err
		}
		res, err = t.Create(req.typ, id, cloneJSON(obj).(fhirjson.Object), c)
		return err
	})
	if err != nil {
		return err
	}
	h.answerWrite(req, status, res)
	return nil
}

// conditionalUpdate serves PUT [type]?search: no match, the resource is
// created (with its own id, or a new one); one, that resource is updated;
// several, 412.
func (h *Handler) conditionalUpdate(req *request) error {
	if req.r.URL.RawQuery == "" {
		return errs.E(errs.MethodNotAllowed, "PUT needs a resource id or search parameters")
	}
	c, err := req.allow(scope.Update)
	if err != nil {
		return err
	}
	cond, err := h.conditionalQuery(req, req.typ, req.r.URL.RawQuery, "url")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchVersion(req.r)
	if err != nil {
		return err
	}
	obj, err := h.decodeResource(req)
	if err != nil {
		return err
	}
	bodyID, _ := obj["id"].(string)
	var res *store.Resource
	var created bool
	err = h.cfg.Store.Transaction(req.ctx, func(t *store.Tx) error {
		id, err := matchOne(t, cond, "conditional update's search")
		if err != nil {
			return err
		}
		switch {
		case id != "" && bodyID != "" && bodyID != id:
			return errs.Field(req.typ+".id", "the body's id %q is not that of the resource the search matches", bodyID)
		case id == "" && bodyID != "":
			id = bodyID
		case id == "":
			if id, err = t.NewID(); err != nil {
				return err
			}
		}
		res, created, err = t.Update(req.typ, id, cloneJSON(obj).(fhirjson.Object), ifMatch, false, c)
		return err
	})
	if err != nil {
		return err
	}
	h.answerUpdate(req, created, res)
	return nil
}

// conditionalDelete serves DELETE [type]?search: every match, up to
// maxConditionalDelete, is deleted in one transaction (204); more matches
// are refused with 412 and nothing is deleted.
func (h *Handler) conditionalDelete(req *request) error {
	if req.r.URL.RawQuery == "" {
		return errs.E(errs.MethodNotAllowed, "DELETE needs a resource id or search parameters")
	}
	c, err := req.allow(scope.Delete)
	if err != nil {
		return err
	}
	cond, err := h.conditionalQuery(req, req.typ, req.r.URL.RawQuery, "url")
	if err != nil {
		return err
	}
	filters, err := req.scopeFilters(scope.Delete)
	if err != nil {
		return err
	}
	err = h.cfg.Store.Transaction(req.ctx, func(t *store.Tx) error {
		_, err := deleteMatches(t, cond, c, filters)
		return err
	})
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteMatches deletes what a conditional delete's search matches, within
// the caller's delete filters, and returns how many.
func deleteMatches(t *store.Tx, cond *condition, c search.Compartment, filters [][]search.Clause) (int, error) {
	q := *cond.q
	switch {
	case filters == nil:
	case q.AnyOf == nil:
		q.AnyOf = filters
	default:
		// Both the search's filters and the delete's must hold: every
		// pair of their groups.
		q.AnyOf = nil
		for _, f := range filters {
			for _, g := range cond.q.AnyOf {
				q.AnyOf = append(q.AnyOf, append(append([]search.Clause(nil), f...), g...))
			}
		}
	}
	ids, err := t.Match(&q, maxConditionalDelete+1)
	if err != nil {
		return 0, err
	}
	if len(ids) > maxConditionalDelete {
		return 0, errs.E(errs.Precondition, "the conditional delete matches more than %d %s resources; narrow the search", maxConditionalDelete, q.Type)
	}
	for _, id := range ids {
		if _, err := t.Delete(q.Type, id, 0, c); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// cloneJSON copies a decoded JSON value deeply, so that a transaction that
// runs again (PostgreSQL retries) starts from the bodies as received.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := make(map[string]any, len(x))
		for k, e := range x {
			o[k] = cloneJSON(e)
		}
		return o
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = cloneJSON(e)
		}
		return a
	}
	return v
}
