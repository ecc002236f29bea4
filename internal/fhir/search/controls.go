package search

import (
	"net/url"

	"github.com/emedpractice/emp/internal/ctrlchar"
)

// refuseControls refuses a search whose parameters hold control characters
// (ctrlchar): they match nothing a valid resource can hold, and NUL is not
// even a value PostgreSQL can compare, so without this a search by one
// would be a 500. Every caller of Parse (the FHIR face, the JSON API's list
// filters, the portal, bulk _typeFilter) gets the check.
func refuseControls(params url.Values) error {
	if e := ctrlchar.Values(params); e != nil {
		return e
	}
	return nil
}
