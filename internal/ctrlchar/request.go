package ctrlchar

import (
	"mime"
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
)

// Request checks a page's or endpoint's query, or for a POST its form, a
// multipart one included (a handler's PostFormValue would parse one, and its
// fields must not skip the check), holding the form to maxForm bytes. It
// returns the refusal naming the parameter, or the error that kept the form from
// being read.
func Request(r *http.Request, maxForm int64) (refused *errs.Error, unreadable error) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		parse := r.ParseForm
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			parse = func() error { return r.ParseMultipartForm(maxForm) }
		}
		if err := parse(); err != nil {
			return nil, err
		}
		params = r.Form
	}
	return Values(params), nil
}
