package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/errs"
)

// The authorization server's records are authrec's types, read and written
// here as they are: the store satisfies auth.Storage with no mapping layer.
// Hash fields hold hashes of secrets, never the secrets. FHIRContext lists
// and interactions are kept as JSON.

// nullMicros is the column value of a time: Unix microseconds, or NULL for the
// zero time, so that "not yet" is a plain IS NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeFromNullMicros turns a column value written by nullMicros back into a time (UTC).
func timeFromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// jsonList encodes a list column; an empty list is "[]".
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always encodes
	return string(b)
}

// parseList decodes a list column; an empty list comes back nil.
func parseList(col, s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("store: column %s holds no JSON list: %w", col, err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// fhirContextJSON is the column value of a fhirContext list: "" for an
// empty one, else its JSON.
func fhirContextJSON(fc []authrec.FHIRContext) (string, error) {
	if len(fc) == 0 {
		return "", nil
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return "", fmt.Errorf("store: encode fhirContext: %w", err)
	}
	return string(b), nil
}

// parseFHIRContext decodes a column written by fhirContextJSON.
func parseFHIRContext(s string) ([]authrec.FHIRContext, error) {
	if s == "" {
		return nil, nil
	}
	var fc []authrec.FHIRContext
	if err := json.Unmarshal([]byte(s), &fc); err != nil {
		return nil, fmt.Errorf("store: decode fhirContext: %w", err)
	}
	return fc, nil
}

// notFoundAuth and conflictAuth are the errors of the authorization records.
func notFoundAuth(what string) error { return errs.E(errs.NotFound, "%s not found", what) }
func conflictAuth(what string) error { return errs.E(errs.Conflict, "%s exists", what) }

// insertConflict maps a unique violation of an insert to Conflict; any
// other error passes unchanged.
func insertConflict(err error, what string) error {
	if isUniqueViolation(err) {
		return conflictAuth(what)
	}
	return err
}

// errsConflict is a Conflict that is not about an existing key.
func errsConflict(msg string) error { return errs.E(errs.Conflict, "%s", msg) }
