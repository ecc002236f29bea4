package web

import (
	"mime"
	"net/http"

	"github.com/emedpractice/emp/internal/ctrlchar"
)

// refusedControls answers 400 and reports true when a page's query or form
// parameters hold a control character (ctrlchar): a user name, a client
// name or a search on the users page with NUL in it would otherwise reach
// the database (a 500 on PostgreSQL) or be stored. It runs before the
// sign-in and CSRF checks, which read the form too.
func (s *Site) refusedControls(w http.ResponseWriter, r *http.Request) bool {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		// A multipart body is parsed here too: the handlers' PostFormValue
		// would read one, and its fields must not skip the check.
		parse := r.ParseForm
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			parse = func() error { return r.ParseMultipartForm(maxFormBody) }
		}
		if err := parse(); err != nil {
			s.render(w, r, http.StatusBadRequest, "message", messageView{Frame: Frame{Title: "Bad request"},
				Message: "The form could not be read. It may be too large."})
			return true
		}
		params = r.Form
	}
	e := ctrlchar.Values(params)
	if e == nil {
		return false
	}
	s.render(w, r, http.StatusBadRequest, "message", messageView{Frame: Frame{Title: "Bad request"},
		Message: "The field " + e.Field + " " + e.Message + "."})
	return true
}
