package fhirapi

import (
	"net/http"

	"github.com/emedpractice/emp/internal/ctrlchar"
)

// refuseControls refuses a request whose query parameters hold control
// characters, whatever the interaction (search, history, read's _format,
// operations): a 400 naming the parameter instead of a value carried to
// the database. POST _search's form body is checked by search.Parse.
func refuseControls(r *http.Request) error {
	if e := ctrlchar.Values(r.URL.Query()); e != nil {
		return e
	}
	return nil
}
