package fhirapi

import (
	"bytes"
	"net/http"
	"time"
)

func timeFromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// writeInfoOutcome answers an informational OperationOutcome (Prefer:
// return=OperationOutcome).
func writeInfoOutcome(w http.ResponseWriter, status int, msg string) {
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":`)
	writeJSONString(&b, msg)
	b.WriteString(`}]}`)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
