package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/r4/Patient/{id}", func(w http.ResponseWriter, r *http.Request) {
		LogAttr(r.Context(), slog.String("auth_error", "access token expired"))
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("hello"))
	})
	h := RequestID(nil)(AccessLog(logger)(mux))
	r := httptest.NewRequest("GET", "/fhir/r4/Patient/p1?name=Smith&birthdate=1970-01-01", nil)
	r.Header.Set(RequestIDHeader, "req-1")
	r.RemoteAddr = "192.0.2.7:5555"
	h.ServeHTTP(httptest.NewRecorder(), r)

	line := buf.String()
	if strings.Contains(line, "Smith") || strings.Contains(line, "birthdate") {
		t.Fatalf("query string leaked into the access log: %s", line)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("want one JSON line, got %q: %v", line, err)
	}
	want := map[string]any{
		"method": "GET", "path": "/fhir/r4/Patient/p1", "route": "GET /fhir/r4/Patient/{id}",
		"status": 418.0, "bytes": 5.0, "request_id": "req-1", "remote": "192.0.2.7:5555",
		"auth_error": "access token expired", // added by the handler with LogAttr
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing: %v", got)
	}
}

func TestAccessLogPanicIs500(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	h := Recover(nil, nil)(AccessLog(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("no access log line for a panicking request: %q", buf.String())
	}
	if got["status"] != 500.0 || got["level"] != "WARN" {
		t.Fatalf("status %v level %v, want 500 WARN", got["status"], got["level"])
	}
	if w.Code != 500 {
		t.Fatalf("answer %d, want 500", w.Code)
	}
}
