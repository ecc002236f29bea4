package bulk

import (
	"encoding/json"
	"net/http"

	"github.com/emedpractice/emp/internal/fhir/outcome"
)

const fhirNDJSON = "application/fhir+ndjson"

// writeJSON answers v as JSON (the manifest, whose media type the bulk data
// specification gives as application/json).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		outcome.Write(w, http.StatusInternalServerError, outcome.Issue{Severity: "fatal", Code: "exception"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
