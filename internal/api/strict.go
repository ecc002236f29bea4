package api

import (
	"net/http"
	"reflect"
	"slices"
	"sort"

	"github.com/emedpractice/emp/internal/ctrlchar"
	"github.com/emedpractice/emp/internal/errs"
)

// refuseControls refuses a request whose query parameters (a list's
// filters, paging, a document's path) hold control characters: a 400 in the
// envelope naming the parameter, before anything reaches the store.
func refuseControls(r *http.Request) error {
	if e := ctrlchar.Values(r.URL.Query()); e != nil {
		e.Err = rule("control")
		return e
	}
	return nil
}

// typeErrors refuses a JSON number or boolean where text belongs: the
// original API took every value as text, so a client's number reached a
// name or a date unchecked ("fname": 5 stored a patient named 5). A number is
// accepted for a field checked as numeric, a boolean for a field whose list
// of values is true and false; any other writable field of the record (rec,
// the record's struct type) must be a JSON string or null. Members the
// record does not take are ignored, as they are when they are strings.
func (c *call) typeErrors(checks []check, rec reflect.Type) []*errs.Error {
	if len(c.bodyKinds) == 0 {
		return nil
	}
	w := writable(rec)
	byField := map[string]check{}
	for _, ck := range checks {
		byField[ck.field] = ck
	}
	var out []*errs.Error
	for name, kind := range c.bodyKinds {
		ck, checked := byField[name]
		if !checked && !w[name] {
			continue
		}
		switch {
		case kind == "number" && ck.format == numeric:
			continue
		case kind == "boolean" && slices.Contains(ck.oneOf, "true") && slices.Contains(ck.oneOf, "false"):
			continue
		}
		label := ck.label
		if label == "" {
			label = name
		}
		out = append(out, fieldErr(name, "type", "%s must be a JSON string, not a %s", label, kind))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// checkBody is validateFields and typeErrors together: every field check
// of a write body whose record type is T.
func checkBody[T any](c *call, f fields, checks []check, create bool) errs.Multi {
	bad := validateFields(f, checks, create)
	if te := c.typeErrors(checks, reflect.TypeFor[T]()); len(te) > 0 {
		bad = append(bad, te...)
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Field < bad[j].Field })
	}
	return bad
}
