package httpbrowser

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// String is the body, so a failing test can print the answer with %s.
func (r Response) String() string { return string(r.Body) }

// JSON decodes the body as a JSON object, failing the test if it is not.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}
