package httpbrowser

import (
	"io"
	"net/http"
	"testing"
)

// Request is a request as an app sends it to an API: with the bearer token
// (none when empty) and the headers given as name, value pairs.
func Request(t testing.TB, method, url, token string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}
