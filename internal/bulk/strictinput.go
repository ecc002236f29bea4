package bulk

import (
	"net/http"

	"github.com/emedpractice/emp/internal/ctrlchar"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/outcome"
)

// plainText refuses a request whose query parameters or path segments (the
// job id, a file name, a Group id) hold control characters (ctrlchar),
// with a 400 OperationOutcome naming them, before a job is looked up: NUL
// in a job id was a 500 on PostgreSQL.
func (s *Service) plainText(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := ctrlchar.Values(r.URL.Query())
		for _, name := range []string{"id", "job", "name"} {
			if err == nil {
				err = ctrlchar.String(name, r.PathValue(name))
			}
		}
		if err != nil {
			outcome.WriteError(w, r, s.cfg.Logger, err)
			return
		}
		next(w, r)
	}
}

// paramControls checks the kick-off parameters of a POST Parameters body,
// which the query check above does not see.
func paramControls(p rawParams) error {
	if e := ctrlchar.Values(map[string][]string(p)); e != nil {
		return errs.Field(e.Field, "%s", e.Message)
	}
	return nil
}
