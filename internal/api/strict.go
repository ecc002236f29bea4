package api

import (
	"net/http"
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

// typeErrors refuses a JSON number or boolean where a value of another
// JSON type belongs: the original API took every value as text, so "fname": 5
// stored a patient named 5. A number or boolean is refused for a field
// checked as words (check.text: names, streets, notes), as a date, time,
// email or URL, or against a list of words (sex, a status); a boolean also
// for a numeric field. A number stays welcome in a numeric field and in
// the fields without such a check (ids given as a pid or a uuid, a medical
// record or phone number), as the original API took them; a boolean in a
// true/false list. Members the record does not take are ignored.
func (c *call) typeErrors(checks []check) []*errs.Error {
	if len(c.bodyTypes) == 0 {
		return nil
	}
	var out []*errs.Error
	for _, ck := range checks {
		jsonType, given := c.bodyTypes[ck.field]
		if !given || !wantsString(ck, jsonType) {
			continue
		}
		label := ck.label
		if label == "" {
			label = ck.field
		}
		out = append(out, fieldErr(ck.field, "type", "%s must be a JSON string, not a %s", label, jsonType))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// wantsString reports whether a value of JSON jsonType ("number", "boolean")
// is refused for the field ck checks.
func wantsString(ck check, jsonType string) bool {
	trueFalse := slices.Contains(ck.oneOf, "true") && slices.Contains(ck.oneOf, "false")
	switch {
	case jsonType == "boolean" && trueFalse:
		return false
	case jsonType == "boolean" && ck.format == numeric:
		return true
	case ck.format == numeric:
		return false
	}
	// A list of numbers ("1", "0") takes a number as a list of words does not.
	return ck.text || (len(ck.oneOf) > 0 && !slices.ContainsFunc(ck.oneOf, isNumber)) ||
		ck.format == dateYMD || ck.format == dateTime || ck.format == email || ck.format == webURL || ck.format == clockHM
}

// checkBody is validateFields and typeErrors together: every field check
// of a write body.
func checkBody(c *call, f fields, checks []check, create bool) errs.Multi {
	bad := validateFields(f, checks, create)
	if te := c.typeErrors(checks); len(te) > 0 {
		bad = append(bad, te...)
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Field < bad[j].Field })
	}
	return bad
}
